"""Golden renders of every cue kind in en, fr, th, my and km (issue 30).

The Mekong schedule's cues (every kind: the plan, a respondent's timer, a delay, an announcement,
a readiness check as fired) are composed for one reader per locale, as the delivery worker does,
and rendered for every target kind. English must be the cue's stored text byte for byte; French
comes from the shipped catalog; th, my and km from the placeholder catalogs (TEST DATA). Checked:
native digits where asked, the CLDR zone name (Yangon is UTC+6:30), no cluster split, and each
target kind's request still renders. Run with UPDATE_GOLDEN=1 to rewrite, then read the diff.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import regex

from app.engine.compose import compose
from integrations.notifiers.render import render
from integrations.notifiers.render.common import context_line
from schedules.adjustments import Announce, Delay, TimerStart
from schedules.i18n import words_for
from schedules.load import load_file
from schedules.locales import Reader
from schedules.model import Target
from schedules.timeline import build_timeline
from tests.schedules.conftest import MEKONG, bangkok

GOLDEN = Path(__file__).with_name("golden")
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
READERS = {
    "en": (Reader(), "Asia/Bangkok"),
    "fr": (Reader("fr"), "Asia/Bangkok"),
    "th": (Reader("th", "native", "buddhist"), "Asia/Bangkok"),
    "my": (Reader("my", "native"), "Asia/Yangon"),
    "km": (Reader("km", "latin"), "Asia/Phnom_Penh"),
}
ASCII_DIGIT = regex.compile(r"[0-9]")


@pytest.fixture(scope="module")
def schedule():
    mekong = load_file(MEKONG)
    hosts = Target(id="all", kind="slack", url_env="X", hosts=True)
    return mekong.model_copy(update={"targets": [hosts]})


def every_kind(schedule):
    """One cue of each kind, as the cue log holds it (a readiness check as its hook left it)."""
    adjustments = [
        TimerStart(
            bangkok(14, 36), seq=1, timer_id="r1", seconds=180, label="Respondent 1", segment="session-1", slot=1
        ),
        Delay(bangkok(14, 20), seq=1, seconds=240),
        Announce(bangkok(14, 25), seq=2, announcement_id="a1", message="Coffee is served in the lobby."),
    ]
    timeline = build_timeline(schedule, adjustments, now=bangkok(14, 37))
    seen, cues = set(), []
    for cue in timeline.cues:
        if cue.kind in seen or cue.kind == "zoom_action":  # a Zoom API call for @zoom, never a message to people
            continue
        seen.add(cue.kind)
        cues.append(cue)
        if cue.kind == "readiness_check":
            fired = {
                "missing": [{"key": "p", "id": "maximilian-pottler", "name": "Maximilian Pottler", "role": "speaker"}],
                "present": [{"key": "m", "id": "nilim-baruah", "name": "Nilim Baruah", "role": "moderator"}],
                "checked_at": (cue.at + timedelta(seconds=1)).isoformat(),
            }
            cues.append(cue.__class__(**{**cue.__dict__, "id": cue.id + "#fired", "data": {**cue.data, **fired}}))
    return cues


def _row(cue):
    return SimpleNamespace(
        cue_id=cue.id,
        kind=str(cue.kind),
        segment=cue.segment,
        data=cue.data,
        title=cue.title,
        message=cue.message,
        due_at=cue.at,
        fired_at=None,
        severity=cue.severity,
        note=None,
        late_ms=None,
    )


def _compose_all(schedule, locale, catalogs):
    reader, tz = READERS[locale]
    words = words_for(reader, catalogs)
    return [(cue, compose(schedule, _row(cue), "d1", tz, [], [], words)) for cue in every_kind(schedule)]


def test_every_cue_kind_is_covered(schedule):
    kinds = {str(c.kind) for c in every_kind(schedule)}
    assert kinds >= {
        "segment_start",
        "segment_ending_soon",
        "segment_end",
        "respondent_slot",
        "reminder",
        "readiness_check",
        "timer_start",
        "timer_warning",
        "timer_danger",
        "timer_up",
        "announcement",
        "delay",
    }, kinds


@pytest.mark.parametrize("locale", list(READERS))
def test_golden_render(schedule, locale, catalogs):
    lines = []
    for cue, n in _compose_all(schedule, locale, catalogs):
        lines += [f"== {cue.id}", f"title: {n.title}", f"text: {n.text}"]
        lines += [f"field: {label}: {value}" for label, value in n.display_fields()]
        lines.append(f"context: {context_line(n)}")
    text = "\n".join(lines) + "\n"
    path = GOLDEN / f"cues.{locale}.txt"
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"run with UPDATE_GOLDEN=1 and review {path.name}"


def test_english_is_the_stored_text_byte_for_byte(schedule, catalogs):
    for cue, n in _compose_all(schedule, "en", catalogs):
        assert (n.title, n.text) == (cue.title, cue.message)
        assert n.locale is None


def test_french_is_french_everywhere(schedule, catalogs):
    for cue, n in _compose_all(schedule, "fr", catalogs):
        if cue.kind == "announcement":
            assert n.title == "Annonce" and n.text == cue.message  # the host's own words
            continue
        if cue.kind == "reminder":
            continue  # the file's own text: the schedule rules require messages.fr for a French target
        assert (n.title, n.text) != (cue.title, cue.message), cue.id
        for label, value in n.display_fields():
            assert label in {"Fin", "Début", "Ensuite", "Début de la suite", "Fin du temps à"}
            if label != "Ensuite":
                assert value.endswith("(heure d’Indochine)"), value


@pytest.mark.parametrize("locale", ["th", "my"])
def test_native_digits_where_asked_and_the_right_zone(schedule, locale, catalogs):
    zone = {"th": "(เวลาอินโดจีน)", "my": "(မြန်မာ အချိန်)"}[locale]
    for cue, n in _compose_all(schedule, locale, catalogs):
        for _, value in n.display_fields():
            if value.endswith(")"):
                assert value.endswith(zone), value
                assert not ASCII_DIGIT.search(value), value
        if str(cue.kind).startswith("timer_") and cue.kind != "timer_up":
            assert not ASCII_DIGIT.search(n.title.replace("Respondent 1", "")), n.title
        assert n.cue_id == cue.id and n.delivery_id == "d1"  # machine values stay ASCII


def test_latin_digits_by_default(schedule, catalogs):
    for _, n in _compose_all(schedule, "km", catalogs):
        for _, value in n.display_fields():
            assert not regex.search(r"[០-៩]", value)


@pytest.mark.parametrize("locale", list(READERS))
@pytest.mark.parametrize("kind", ["slack", "teams", "discord", "zoom_chat", "webhook"])
def test_every_target_kind_renders_without_splitting_a_cluster(schedule, locale, kind, catalogs):
    for _, n in _compose_all(schedule, locale, catalogs):
        request = render(kind, n, token="t", secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        text = request.body.decode("utf-8")
        payload = json.loads(text) if request.payload is not None else text
        for leaf in _strings(payload):
            assert not regex.match(r"[\p{M}\u200d]", leaf), f"a piece starts inside a cluster: {leaf[:20]!r}"


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_link_labels_are_written_in_the_targets_locale(schedule, catalogs):
    """The "Host console" and "Join Zoom" links a message carries are labelled in its target's words
    (the URLs stay as they are); English targets keep the labels they always had."""
    from app.core.public_url import console_links

    links = [*console_links("https://sc.example", schedule.event.id), ("Join Zoom", "https://zoom.example/j/1")]
    cue = next(c for c in every_kind(schedule) if c.kind == "segment_start")
    english = compose(schedule, _row(cue), "d1", None, links, None, words_for(Reader(), catalogs))
    assert english.links == (
        ("Host console", f"https://sc.example/console/{schedule.event.id}"),
        ("Join Zoom", "https://zoom.example/j/1"),
    )
    french = compose(schedule, _row(cue), "d1", None, links, None, words_for(Reader("fr"), catalogs))
    assert french.links == (
        ("Console des hôtes", f"https://sc.example/console/{schedule.event.id}"),
        ("Rejoindre la réunion Zoom", "https://zoom.example/j/1"),
    )
    thai = compose(schedule, _row(cue), "d1", None, links, None, words_for(Reader("th"), catalogs))
    assert [label for label, _ in thai.links] == ["ทดสอบ Host console", "ทดสอบ Join Zoom"]  # placeholder catalog


def test_a_target_needs_its_link_labels_translated(schedule):
    from schedules.catalog_check import needed_strings

    target = Target.model_validate({"id": "fr", "kind": "slack", "url_env": "X", "locale": "fr"})
    assert {"Host console", "Join Zoom"} <= needed_strings(schedule, target, Reader("fr"))


def test_a_target_with_buttons_needs_their_words_translated(schedule):
    from schedules import button_words
    from schedules.catalog_check import needed_strings

    spec = {"id": "fr", "kind": "slack", "url_env": "X", "locale": "fr", "hosts": True, "buttons": ["advance", "undo"]}
    needed = needed_strings(schedule, Target.model_validate(spec), Reader("fr"))
    assert {"Next: {title}", "Undo: {summary}", "Yes", "Cancel", "Advanced to {title}", "Remove {title}"} <= needed
    assert button_words.ALL <= needed
    without = Target.model_validate({**spec, "buttons": []})
    assert not button_words.ALL & needed_strings(schedule, without, Reader("fr"))


def test_a_plain_text_message_writes_its_fields_in_the_readers_typography(schedule, catalogs):
    """Zoom Chat's plain text (an endpoint without a structured format): "Fin\u00a0: 14:00" in French
    (a no-break space before the colon, from the catalog), "Ends: 14:00" in English as always."""
    from integrations.notifiers.render.zoom_chat import build_plain

    cue = next(c for c in every_kind(schedule) if c.kind == "segment_start")
    french = compose(schedule, _row(cue), "d1", None, [], None, words_for(Reader("fr"), catalogs))
    english = compose(schedule, _row(cue), "d1", None, [], None, words_for(Reader(), catalogs))
    assert "\nFin\u00a0: 14:00" in build_plain(french, french.text)
    assert "Fin:" not in build_plain(french, french.text)
    assert "\nEnds: 14:00" in build_plain(english, english.text)
