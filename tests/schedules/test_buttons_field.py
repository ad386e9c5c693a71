"""targets[].buttons: which host actions a target's messages offer as link buttons, checked with file:line errors."""

from __future__ import annotations

import pytest

from schedules.load import load_text
from schedules.model import ButtonVerb
from schedules.problems import ScheduleError

HEAD = """event:
  id: ev
  title: Ev
  date: 2025-01-14
  timezone: Asia/Bangkok
segments:
  - id: one
    title: One
    kind: session
    start: "10:00"
    end: "10:30"
targets:
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ScheduleError) as caught:
        load_text(text, "f.yaml")
    return caught.value.render().splitlines()[:-1]


def test_default_is_no_buttons_and_verbs_load():
    schedule = load_text(
        HEAD + "  - {id: a, kind: slack, url_env: A}\n  - id: b\n    kind: discord\n"
        "    url_env: B\n    hosts: true\n    buttons: [advance, delay_5, undo]\n",
        "f.yaml",
    )
    assert schedule.targets[0].buttons == []
    assert schedule.targets[1].buttons == [ButtonVerb.advance, ButtonVerb.delay_5, ButtonVerb.undo]


def test_buttons_need_a_hosts_target():
    lines = problems(HEAD + "  - id: a\n    kind: slack\n    url_env: A\n    buttons: [advance]\n")
    assert any(
        line.startswith("f.yaml:16:") and "targets[0].buttons" in line and "hosts: true" in line for line in lines
    ), lines


def test_webhook_targets_and_repeats_are_refused():
    lines = problems(
        HEAD + "  - id: a\n    kind: webhook\n    url_env: A\n    hosts: true\n    buttons: [undo, undo]\n"
    )
    text = "\n".join(lines)
    assert "carries no buttons" in text and "'undo' is listed twice" in text and "f.yaml:17:" in text


def test_an_unknown_verb_names_the_line_and_the_choices():
    lines = problems(HEAD + "  - id: a\n    kind: slack\n    url_env: A\n    hosts: true\n    buttons: [next]\n")
    text = "\n".join(lines)
    assert "f.yaml:17:" in text and "advance" in text and "delay_5" in text, text
