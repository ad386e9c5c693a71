"""Drafts never reach a live channel (issue 30): loading a schedule refuses a target whose locale's
catalog lacks, or has only as a fuzzy draft, a string the event would send it, naming the strings;
and a reminder without a message in a target's locale."""

from __future__ import annotations

import shutil

import pytest
from babel.messages.pofile import write_po

from schedules.i18n import po_path, read_catalog
from schedules.load import load_file, load_text
from schedules.problems import ScheduleError
from tests.schedules.conftest import MEKONG

MEKONG_TEXT = MEKONG.read_text(encoding="utf-8")


def with_target(extra: str) -> str:
    """The Mekong schedule with one more target (appended to its targets list)."""
    head, tail = MEKONG_TEXT.split("\ntimers:", 1)
    return head.rstrip() + "\n" + extra + "\ntimers:" + tail


BURMESE = "  - id: delegates-my\n    kind: slack\n    url_env: MY_URL\n    locale: my\n    digits: native\n"
FRENCH = "  - id: delegates-fr\n    kind: slack\n    url_env: FR_URL\n    locale: fr\n"


def problems(text: str, catalogs) -> str:
    with pytest.raises(ScheduleError) as caught:
        load_text(text, "mekong.yaml", catalogs=catalogs)
    return caught.value.render()


def test_a_burmese_target_loads_with_a_complete_catalog(catalogs):
    schedule = load_text(
        with_target(
            BURMESE.replace("slack", "discord").replace(
                "    digits: native\n", "    digits: native\n    filter: {kinds: [segment_start, timer_up]}\n"
            )
        ),
        "mekong.yaml",
        catalogs=catalogs,
    )
    assert schedule.targets[-1].locale == "my"


def test_one_fuzzy_entry_refuses_the_event_and_names_it(catalogs, tmp_path):
    root = tmp_path / "catalogs"
    shutil.copytree(catalogs, root)
    path = po_path("my", root)
    catalog = read_catalog(path)
    catalog["Now: {title}"].flags.add("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0)
    text = problems(with_target(BURMESE + "    filter: {kinds: [segment_start]}\n"), root)
    assert "targets[5].locale" in text and "target 'delegates-my'" in text
    assert "'Now: {title}' (draft)" in text and "a draft is never sent" in text
    assert text.count("\n") == 1  # that one problem, and the count


def test_no_catalog_at_all_names_what_is_missing(catalogs):
    text = problems(
        with_target(BURMESE.replace("locale: my", "locale: vi").replace("    digits: native\n", "")), catalogs
    )
    assert "the vi catalog cannot write" in text and "(missing)" in text


def test_a_french_target_needs_the_reminders_in_french(catalogs):
    text = problems(with_target(FRENCH), catalogs)
    assert "cues[0].message" in text and "reminder 'group-photo' goes to target 'delegates-fr' (fr)" in text
    assert "add messages: {fr: ...}" in text


def test_the_shipped_mekong_schedule_is_unaffected():
    assert [t.locale for t in load_file(MEKONG).targets] == [None] * 5
