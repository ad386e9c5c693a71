"""No input reaches a traceback: documents generated from the JSON Schema and mutations of valid
files either load or fail with located problems; `validate` exits 0 or 2 in a bounded process."""

from __future__ import annotations

import copy
import math
import os
import random
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedules.load import load_text
from schedules.problems import ScheduleError
from schedules.schema import schedule_schema
from tests.schedules.conftest import MEKONG, REPO
from tests.schedules.schema_strategy import from_schema

EXAMPLES = sorted((REPO / "schedules" / "events").rglob("*.yaml"))
SCRIPT = Path(sys.executable).with_name("showcaller")
SHOWCALLER = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-c", "from app.cli import main; main()"]


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def assert_loads_or_locates(text: str) -> None:
    """The loader's contract: a Schedule, or a ScheduleError whose every problem is located."""
    lines = max(1, len(text.splitlines()))
    try:
        load_text(text, "fuzz.yaml")
    except ScheduleError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert 1 <= problem.line <= lines + 1, problem.render()
            assert problem.message and problem.fix, problem.render()
            assert problem.render().startswith(f"fuzz.yaml:{problem.line}:{problem.column}: ")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(from_schema(schedule_schema()))
def test_documents_generated_from_the_schema_never_crash_the_loader(document):
    assert_loads_or_locates(_dump(document))


# ---- mutations of the shipped files -------------------------------------------------------------

WEIRD = [
    None,
    True,
    -1,
    0,
    10**30,
    -(10**30),
    1e308,
    math.inf,
    "",
    " ",
    "\u202e\u05d0\u05d1",
    "e\u0301\u0301",
    "\U0001f600" * 50,
    "x" * 5000,
    "25:61",
    "9999-99-99",
    "0001-01-01",
    "-99999999h",
    "99999999h",
    "2026-03-29T02:30:00",
    "02:30+14:00",
    [],
    {},
    [[[]]],
    {"a": {"b": {"c": None}}},
]


def _paths(data: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _paths(value, (*path, i))
    return out


def _parent(data: Any, path: tuple) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


def mutate(data: Any, rng: random.Random, rounds: int) -> Any:
    """Drop, duplicate, retype, use extreme values, odd unicode, or nest deeply; `rounds` times."""
    for _ in range(rounds):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = rng.choice(paths)
        parent, last = _parent(data, path), path[-1]
        action = rng.choice(["drop", "duplicate", "retype", "retype", "nest"])
        if action == "drop":
            del parent[last]
        elif action == "duplicate" and isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
        elif action == "nest":
            value = parent[last]
            for _ in range(rng.choice([2, 10, 40])):
                value = [value]
            parent[last] = value
        else:
            parent[last] = copy.deepcopy(rng.choice(WEIRD))
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(EXAMPLES), st.integers(0, 2**32 - 1), st.integers(1, 4))
def test_mutated_valid_files_never_crash_the_loader(path, seed, rounds):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert_loads_or_locates(_dump(mutate(data, random.Random(seed), rounds)))


def _bounded():
    two_gb = 2 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (two_gb, two_gb))
    resource.setrlimit(resource.RLIMIT_CPU, (240, 240))


def test_validate_on_mutated_files_exits_0_or_2_within_cpu_and_memory_limits(tmp_path):
    rng = random.Random(13)
    names = []
    for i in range(24):
        data = yaml.safe_load(EXAMPLES[i % len(EXAMPLES)].read_text(encoding="utf-8"))
        name = f"m{i:02d}.yaml"
        (tmp_path / name).write_text(_dump(mutate(data, rng, 1 + i % 4)), encoding="utf-8")
        names.append(name)
    (tmp_path / "mekong.yaml").write_text(MEKONG.read_text(encoding="utf-8"), encoding="utf-8")
    files = [*names, "mekong.yaml"]
    # One process for all files (start-up dominates); validate reports each file on its own lines.
    proc = subprocess.run(
        [*SHOWCALLER, "validate", *files],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        preexec_fn=_bounded,
        env={**os.environ, "COLUMNS": "400"},
    )
    assert proc.returncode in (0, 2), (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    ok = {line.split(":")[0] for line in proc.stdout.splitlines()}
    summaries = {line.split(":")[0] for line in proc.stderr.splitlines() if line.endswith(("problem", "problems"))}
    assert "mekong.yaml" in ok
    assert ok | summaries == set(files) and not ok & summaries
    assert all(line.split(":")[0] in files for line in proc.stderr.splitlines())
