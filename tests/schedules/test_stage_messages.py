"""stage.messages: a list of presets (the console's buttons) or a mapping of ids to texts (deck keys)."""

from __future__ import annotations

import pytest
import yaml

from schedules.load import load_text
from schedules.problems import ScheduleError
from tests.schedules.conftest import MEKONG


def _with_stage(messages) -> str:
    doc = yaml.safe_load(MEKONG.read_text(encoding="utf-8"))
    doc["stage"] = {"messages": messages}
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def test_a_mapping_gives_ids_and_keeps_the_console_presets_in_order():
    stage = load_text(_with_stage({"wrap_up": "Please wrap up", "time_up": "Time is up"}), "m.yaml").stage
    assert stage.presets == ["Please wrap up", "Time is up"]
    assert stage.preset_ids() == {"wrap_up": "Please wrap up", "time_up": "Time is up"}


def test_a_list_still_works_and_its_ids_are_positions():
    stage = load_text(_with_stage(["Please wrap up", "30 seconds"]), "m.yaml").stage
    assert stage.presets == ["Please wrap up", "30 seconds"]
    assert stage.preset_ids() == {"1": "Please wrap up", "2": "30 seconds"}
    default = load_text(MEKONG.read_text(encoding="utf-8"), "m.yaml").stage
    assert default.preset_ids()["3"] == "Time is up"


@pytest.mark.parametrize(
    ("messages", "field", "words"),
    [
        ({"Wrap Up": "x"}, "stage.messages.Wrap Up", "not a valid id"),
        ({"wrap_up": ""}, "stage.messages.wrap_up", "must not be empty"),
        ({"wrap_up": "x" * 201}, "stage.messages.wrap_up", "200"),
        (["ok", ""], "stage.messages[1]", "must not be empty"),
        ("Please wrap up", "stage.messages", "list"),
    ],
)
def test_bad_messages_name_their_line_and_field(messages, field, words):
    with pytest.raises(ScheduleError) as caught:
        load_text(_with_stage(messages), "m.yaml")
    rendered = caught.value.render()
    assert f": {field}" in rendered and words in rendered, rendered
    assert rendered.startswith("m.yaml:") and "Fix:" in rendered
