"""One table of a benchmark run: every judged figure, its measured value, its target, its verdict.

`make bench` runs every benchmark with SHOWCALLER_BENCH_RESULTS set (bench/_common.py `record`
appends each judged figure there as a JSON line), then runs this:

    python bench/table.py RESULTS.jsonl [--save RUN.json] [--markdown]

It prints the table (with the machine and the date), saves it as JSON for bench/compare.py, and
exits 1 if any figure missed its target. `--markdown` prints it as the table kept in
docs/reliability.md. A measured value is a ratio against the baseline taken in the same run where
the benchmark has one (the key says which); figures without a value are pass/fail checks.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path


def machine() -> dict[str, object]:
    """What the figures were measured on: they mean little without it."""
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    return {
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load_average": load,
    }


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def shown(value: float | None) -> str:
    return "" if value is None else f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def render(run: dict, markdown: bool = False) -> str:
    rows = [(r["benchmark"], r["key"], shown(r["measured"]), r["target"], r["verdict"]) for r in run["rows"]]
    head = ("benchmark", "figure", "measured", "target", "verdict")
    where = run["machine"]
    title = (
        f"{run['date']} on {where['host']} ({where['cpus']} CPUs, Python {where['python']}, "
        f"load average {' '.join(map(str, where['load_average']))})"
    )
    if markdown:
        lines = [title, "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([title, line(head), line("-" * w for w in widths), *(line(row) for row in rows)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="the JSON lines the benchmarks recorded")
    parser.add_argument("--save", type=Path, help="write the table here as JSON (for bench/compare.py)")
    parser.add_argument("--markdown", action="store_true", help="print it as a Markdown table")
    args = parser.parse_args()
    rows = read(args.results) if args.results.exists() else []
    run = {"date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "machine": machine(), "rows": rows}
    print(render(run, args.markdown))
    if args.save:
        args.save.write_text(json.dumps(run, indent=1) + "\n", encoding="utf-8")
        print(f"saved: {args.save}")
    return 0 if rows and all(r["verdict"] == "pass" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
