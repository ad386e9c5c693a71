"""`make bench`'s one table and bench/compare.py: what a benchmark records, how two runs compare."""

from __future__ import annotations

from bench import _common, compare, table


def _run(rows: list[dict]) -> dict:
    return {"date": "2026-12-07 13:00 UTC", "machine": table.machine(), "rows": rows}


def test_a_benchmark_records_each_judged_figure_when_asked(tmp_path, monkeypatch, capsys):
    results = tmp_path / "results.jsonl"
    report = _common.Report("B0 example")
    report.check(True, "nothing asked: nothing recorded")
    assert not results.exists()
    monkeypatch.setenv(_common.RESULTS_ENV, str(results))
    report.check(False, "p50 7.25 ms (target <= 5)", measured=1.4, target="<= 1", key="fired p50 / call_at p50")
    report.check(True, "200/200 fired")
    rows = table.read(results)
    assert [(r["key"], r["measured"], r["verdict"]) for r in rows] == [
        ("fired p50 / call_at p50", 1.4, "FAIL"),
        ("#/# fired", None, "pass"),  # no key given: the text without its numbers
    ]
    text = table.render(_run(rows))
    assert "fired p50 / call_at p50" in text and "FAIL" in text and "B0 example" in text
    assert table.render(_run(rows), markdown=True).splitlines()[2].startswith("| benchmark | figure |")


def test_compare_flags_a_verdict_lost_and_a_value_moved_the_wrong_way():
    def row(key: str, measured: float | None, target: str, verdict: str = "pass") -> dict:
        return {
            "benchmark": "B1",
            "key": key,
            "figure": key,
            "measured": measured,
            "target": target,
            "verdict": verdict,
        }

    old = _run([row("ratio", 0.8, ">= 0.5"), row("p99 (ms)", 10, "< 50"), row("order kept", None, ""), row("x", 1, "")])
    new = _run(
        [
            row("ratio", 0.5, ">= 0.5"),  # still passes, but 37 % lower where higher is better
            row("p99 (ms)", 60, "< 50", "FAIL"),
            row("order kept", None, ""),
            row("y", 2, ""),
        ]
    )
    rows, regressions = compare.compare(old, new, tolerance=0.2)
    notes = {r[1]: r[5] for r in rows}
    assert notes == {"ratio": "worse", "p99 (ms)": "REGRESSED (was pass)", "order kept": "", "y": "new", "x": "gone"}
    assert regressions == 2
    assert compare.compare(old, old, 0.2)[1] == 0
