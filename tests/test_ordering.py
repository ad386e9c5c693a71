"""The suite's file order (tests/fixtures/ordering.py): longest files first, each file whole."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from tests.fixtures import ROOT
from tests.fixtures.ordering import DURATIONS, durations_from_junit, longest_first


def _items(*nodeids: str) -> list:
    return [SimpleNamespace(nodeid=nodeid) for nodeid in nodeids]


def test_the_longest_file_goes_first_and_each_file_stays_whole_and_in_order():
    items = _items("a.py::one", "a.py::two", "b.py::one", "c.py::one", "b.py::two", "d.py::one")
    ordered = longest_first(items, {"a.py": 1.0, "b.py": 30.0, "c.py": 5.0})
    assert [i.nodeid for i in ordered] == [
        "b.py::one",
        "b.py::two",
        "c.py::one",
        "a.py::one",
        "a.py::two",
        "d.py::one",  # never measured: after the measured files
    ]


def test_unmeasured_files_keep_their_collection_order():
    items = _items("z.py::t", "y.py::t", "x.py::t")
    assert [i.nodeid for i in longest_first(items, {})] == ["z.py::t", "y.py::t", "x.py::t"]


def test_a_junit_report_gives_seconds_per_file(tmp_path: Path):
    report = tmp_path / "junit.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.engine.test_restart" name="a" time="2.5"/>'
        '<testcase classname="tests.engine.test_restart" name="b" time="1.25"/>'
        '<testcase classname="tests.web.test_x.TestPage" name="c" time="4"/>'
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    assert durations_from_junit(report) == {"tests/engine/test_restart.py": 3.8, "tests/web/test_x.py": 4.0}


def test_the_committed_durations_name_only_files_that_exist():
    measured = json.loads(DURATIONS.read_text(encoding="utf-8"))
    assert measured, "tests/durations.json is empty: refresh it (see tests/fixtures/ordering.py)"
    assert [name for name in measured if not (ROOT / name).is_file()] == []


def test_make_test_hands_files_out_in_this_order():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--dist loadfile --no-loadscope-reorder" in makefile
