"""Compare two benchmark runs' tables (saved by bench/table.py): what got worse, what got better.

    python bench/compare.py OLD.json NEW.json [--tolerance 0.2]

Figures are matched by benchmark and key. A figure whose verdict went from pass to FAIL is a
regression; so is one whose measured value moved the wrong way by more than the tolerance
(relative), when its target says which way is better (">=": higher, "<=" or "<": lower). Runs on a
shared machine are noisy: read a changed value with the two runs' load averages, which are shown.
Exit status 1 when there is a regression.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def better_when(target: str) -> int:
    """+1 when a higher value is better, -1 when lower is, 0 when the target does not say."""
    text = target.strip()
    if text.startswith(">"):
        return 1
    if text.startswith("<"):
        return -1
    return 0


def compare(old: dict, new: dict, tolerance: float) -> tuple[list[tuple], int]:
    """Rows (benchmark, key, old, new, change, note) and the number of regressions."""
    before = {(r["benchmark"], r["key"]): r for r in old["rows"]}
    rows, regressions = [], 0
    for row in new["rows"]:
        was = before.pop((row["benchmark"], row["key"]), None)
        note, change = "", ""
        if was is None:
            note = "new"
        else:
            a, b = was["measured"], row["measured"]
            if a is not None and b is not None:
                change = f"{(b - a) / abs(a) * 100:+.0f}%" if a else ""
                way = better_when(row["target"])
                if way and a and (b - a) / abs(a) * way < -tolerance:
                    note = "worse"
            if was["verdict"] == "pass" and row["verdict"] != "pass":
                note = "REGRESSED (was pass)"
            elif was["verdict"] != "pass" and row["verdict"] == "pass":
                note = "fixed"
        if note.startswith(("REGRESSED", "worse")):
            regressions += 1
        rows.append((row["benchmark"], row["key"], _value(was), _value(row), change, note))
    rows += [(b, k, _value(r), "", "", "gone") for (b, k), r in before.items()]
    return rows, regressions


def _value(row: dict | None) -> str:
    if row is None:
        return ""
    measured = "" if row["measured"] is None else f"{row['measured']:.3g} "
    return f"{measured}{row['verdict']}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--tolerance", type=float, default=0.2, help="relative change ignored (default 0.2)")
    args = parser.parse_args()
    old, new = (json.loads(p.read_text(encoding="utf-8")) for p in (args.old, args.new))
    rows, regressions = compare(old, new, args.tolerance)
    for label, run in (("old", old), ("new", new)):
        where = run["machine"]
        print(f"{label}: {run['date']} on {where['host']}, load average {where['load_average']}")
    head = ("benchmark", "figure", "old", "new", "change", "")
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for cells in [head, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
    print(f"{regressions} regression(s)")
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
