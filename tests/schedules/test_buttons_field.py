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


# -- mode: app (native chat buttons) --------------------------------------------------------------


def test_a_slack_app_target_and_chat_ids_load():
    text = HEAD.replace("segments:", "people:\n  - {id: p, name: P, chat_ids: {slack: U0P, discord: '81'}}\nsegments:")
    schedule = load_text(
        text + "  - {id: a, kind: slack, mode: app, url_env: A, token_env: T, secret_env: S, channel: C0A,"
        " hosts: true, buttons: [advance], allow: [U0X]}\n",
        "f.yaml",
    )
    target = schedule.targets[0]
    assert target.mode == "app" and target.channel == "C0A" and target.allow == ["U0X"]
    assert schedule.people[0].chat_ids is not None and schedule.people[0].chat_ids.slack == "U0P"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("{id: a, kind: slack, mode: app, url_env: A, secret_env: S, channel: C0A}", "needs token_env"),
        ("{id: a, kind: slack, mode: app, url_env: A, token_env: T, secret_env: S}", "needs channel"),
        ("{id: a, kind: discord, mode: app, url_env: A}", "needs secret_env"),
        ("{id: a, kind: teams, mode: app, url_env: A}", "cannot post as an app"),
        ("{id: a, kind: slack, url_env: A, channel: C0A}", "channel is for a target in mode app"),
        ("{id: a, kind: slack, url_env: A, allow: [U0X]}", "allow is for a target in mode app"),
        ("{id: a, kind: discord, mode: app, url_env: A, secret_env: S, channel: C0A}", "takes no channel"),
    ],
)
def test_a_target_in_mode_app_is_checked_with_file_and_line(target, expected):
    found = problems(HEAD + f"  - {target}\n")
    assert any(line.startswith("f.yaml:") and expected in line for line in found), found


def test_a_chat_id_names_one_person():
    people = "people:\n  - {id: p, name: P, chat_ids: {slack: U0P}}\n  - {id: q, name: Q, chat_ids: {slack: U0P}}\n"
    found = problems(HEAD.replace("segments:", people + "segments:") + "  - {id: a, kind: slack, url_env: A}\n")
    assert any("slack id 'U0P' is already p's" in line and line.startswith("f.yaml:") for line in found), found
