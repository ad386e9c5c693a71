"""The shipped JSON Schema is current, and the shipped schedule files validate against it."""

from __future__ import annotations

import json

import pytest
import yaml
from jsonschema import Draft202012Validator

from schedules.load import load_file
from schedules.schema import SCHEMA_PATH, schedule_schema, schema_text
from tests.schedules.conftest import MEKONG, REPO

SHIPPED = sorted((REPO / "schedules" / "events").rglob("*.yaml"))
MODELINE = "# yaml-language-server: $schema="


class EditorView(yaml.SafeLoader):
    """YAML as a schema-checking editor sees it: dates stay text, not date objects."""


EditorView.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def editor_view(text: str):
    return yaml.load(text, Loader=EditorView)  # noqa: S506  (a SafeLoader subclass)


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_shipped_schema_is_up_to_date():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "schedules/schedule.schema.json is stale: run `showcaller schema --write` and commit it"
    )


def test_schema_declares_draft_2020_12_and_forbids_unknown_keys():
    schema = schedule_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert all(d.get("additionalProperties") is False for d in schema["$defs"].values() if d.get("type") == "object")


def test_shipped_files_are_listed():
    assert MEKONG in SHIPPED and len(SHIPPED) >= 2


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_files_validate_against_the_json_schema(path, validator):
    # Quoted times stay strings, as the schema requires.
    data = editor_view(path.read_text(encoding="utf-8"))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]
    assert errors == []
    load_file(path)  # and the loader agrees


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_files_carry_the_schema_modeline(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(MODELINE)
    target = (path.parent / first.removeprefix(MODELINE)).resolve()
    assert target == SCHEMA_PATH.resolve()


def test_mekong_modeline_is_exact():
    assert MEKONG.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=../schedule.schema.json\n")


def test_unquoted_time_is_sexagesimal_to_yaml_and_the_schema_says_so(validator):
    data = editor_view(MEKONG.read_text(encoding="utf-8"))
    data["segments"][1]["start"] = yaml.safe_load("14:15")
    assert data["segments"][1]["start"] == 855  # YAML 1.1 base 60
    assert any(e.absolute_path[-1] == "start" for e in validator.iter_errors(data))


def test_schema_rejects_what_the_loader_rejects(validator):
    data = editor_view(MEKONG.read_text(encoding="utf-8"))
    data["segments"][0]["speaker"] = ["x"]
    data["zoom"]["kind"] = "conference"
    data["timers"]["warning"] = "1 minute"
    paths = {tuple(e.absolute_path) for e in validator.iter_errors(data)}
    assert ("segments", 0) in paths and ("zoom", "kind") in paths and ("timers", "warning") in paths
