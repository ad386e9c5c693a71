"""Docs that run: every YAML block in README.md and docs/*.md is read by the real loader.

A block that is a whole schedule must validate completely. A block that is only part of one says
so with a `# fragment` comment line; it must still be valid YAML and every section in it must pass
the model (types, keys, values), only the cross-references to parts left out are not checked.
"""

from __future__ import annotations

import re

import pytest
from pydantic import TypeAdapter, ValidationError

from schedules.load import load_text
from schedules.model import Schedule
from schedules.source import parse_yaml
from tests.schedules.conftest import REPO

# A block whose info string names another format (```yaml prometheus: the alert rules) is not a
# schedule; its own test reads it (tests/app/test_alerts.py).
BLOCK = re.compile(r"^```ya?ml(?! prometheus)[^\n]*\n(.*?)^```", re.M | re.S)
FRAGMENT = re.compile(r"^\s*# fragment\b", re.M)
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def _blocks() -> list[tuple[str, int, str]]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start(1)) + 1
            found.append((page.relative_to(REPO).as_posix(), line, match.group(1)))
    return found


BLOCKS = _blocks()


def test_the_docs_have_yaml_blocks_to_check():
    assert any(page == "README.md" for page, _, _ in BLOCKS)
    assert any(page.startswith("docs/") for page, _, _ in BLOCKS)


@pytest.mark.parametrize(("page", "line", "text"), BLOCKS, ids=[f"{p}:{n}" for p, n, _ in BLOCKS])
def test_yaml_block_is_read_by_the_loader(page, line, text):
    where = f"{page} (block at line {line})"
    if not FRAGMENT.search(text):
        load_text(text, where)  # a whole schedule: every rule applies
        return
    data, _ = parse_yaml(text, where)
    assert isinstance(data, dict), f"{where}: a fragment is a mapping of schedule sections"
    fields = {f.alias or name: f for name, f in Schedule.model_fields.items()}
    for key, value in data.items():
        assert key in fields, f"{where}: '{key}' is not a schedule section"
        try:
            TypeAdapter(fields[key].annotation).validate_python(value)
        except ValidationError as exc:
            pytest.fail(f"{where}: section '{key}' does not pass the model:\n{exc}")


def test_a_fragment_marker_does_not_hide_broken_yaml():
    from schedules.problems import ScheduleError

    with pytest.raises(ScheduleError, match="not valid YAML"):
        parse_yaml("# fragment\ncues:\n  - message: Group photo in 3 minutes: cameras on\n", "x.yaml")
