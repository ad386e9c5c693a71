"""The shipped Mekong schedule is a faithful transcription of the event's concept note."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from schedules.messages_cues import person_line
from schedules.model import SegmentKind
from schedules.resolve import planned_segments
from schedules.timeline import build_timeline
from tests.schedules.conftest import bangkok

# The organisers' concept note, carried by the repository (see tests/data/README.md).
NOTE = Path(__file__).resolve().parents[1] / "data" / "seeds" / "mekong-dialogue-concept-note.txt"


def _plain(text: str) -> str:
    """Compare prose, not typography: one space, straight apostrophes."""
    return re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip()


@pytest.fixture(scope="module")
def note() -> str:
    return NOTE.read_text(encoding="utf-8")


def _note_slots(note: str) -> list[tuple[time, time, str]]:
    """Agenda rows of the note: '1:30 – 2:00 PM<TAB>what' in 24-hour times."""
    rows = []
    for match in re.finditer(r"^(\d{1,2}):(\d{2}) \u2013 (\d{1,2}):(\d{2}) PM\t(.*)$", note, re.M):
        h1, m1, h2, m2, what = match.groups()
        pm = lambda hour: int(hour) % 12 + 12  # noqa: E731  (every slot of this agenda is PM)
        rows.append((time(pm(h1), int(m1)), time(pm(h2), int(m2)), what))
    return rows


def _note_people(note: str) -> list[str]:
    """Every named person of the note, as 'Honorific Name, Title, Organisation'."""
    bullets = [re.split(r"<|\n", b)[0] for b in note.split("\u2022")[1:]]
    moderators = re.findall(r"^- (.+)$", note, re.M)
    return [_plain(b) for b in [*moderators, *bullets] if not b.strip().startswith("Two Mekong countries")]


def test_every_time_slot_matches_the_note(mekong, note):
    slots = _note_slots(note)
    assert len(slots) == len(mekong.segments) == 9
    for (start, end, what), seg in zip(slots, mekong.segments, strict=True):
        assert (seg.start, seg.end) == (start, end), seg.id
        if what.startswith("Open discussion"):
            assert seg.kind is SegmentKind.discussion and seg.flexible
        elif not what.startswith("<p>"):
            assert seg.title == what
    assert (mekong.event.start, mekong.event.end) == (time(13, 30), time(17, 30))
    assert mekong.event.timezone == "Asia/Bangkok" and mekong.event.date == date(2022, 5, 30)
    assert "30 May 2022 | 2:00 pm \u2013 5:30 pm Bangkok" in note


def test_segments_are_contiguous_and_in_order(mekong):
    planned = planned_segments(mekong)
    assert all(a.end == b.start for a, b in zip(planned, planned[1:], strict=False))
    assert planned[0].start == bangkok(13, 30) and planned[-1].end == bangkok(17, 30)


def test_session_titles_appear_in_the_note(mekong, note):
    sessions = [s for s in mekong.segments if s.kind is SegmentKind.session]
    assert [s.title for s in sessions] == [
        "Session 1: Preparing for safe migration",
        "Session 2: Promoting healthy labour mobility",
        "Session 3: Facilitating return and reintegration",
    ]
    for seg in sessions:
        assert f"{seg.title}\t" in note


def test_every_named_person_with_title_and_organisation(mekong, note):
    in_note = _note_people(note)
    in_file = []
    for person in mekong.people:
        line = person_line(person) + (f", {person.country}" if person.country else "")
        in_file.append(line)
        assert person.title and person.organisation, person.id
    assert sorted(in_file) == sorted(in_note)
    assert len(in_note) == 11


def test_both_co_moderators_moderate_every_segment_after_setup(mekong, note):
    co = ["pinsuda-alexander", "geertrui-lanneau"]
    assert "This event will be co-moderated by:" in note
    for seg in mekong.segments[1:]:
        assert seg.moderators == co, seg.id
    for pid in co:
        assert {"moderator", "alternative_host"} <= set(mekong.person(pid).roles)
    assert mekong.zoom.alternative_hosts == co


def test_speakers_per_segment_follow_the_agenda(mekong):
    speakers = {s.id: s.speakers for s in mekong.segments if s.speakers}
    assert speakers == {
        "opening": ["chuop-narath", "alfredo-perdiguero"],
        "session-1": ["nilim-baruah", "maximilian-pottler"],
        "session-2": ["patrick-duigan", "rikard-elfving"],
        "session-3": ["peppi-kiviniemi-siddiq", "rebecca-napier-moore"],
        "closing": ["maria-nenette-motus"],
    }


def test_each_session_description_is_the_notes_text(mekong, note):
    described = [_plain(d) for d in re.findall(r"<p><i>(.*?)</i></p>", note, re.S)]
    sessions = [s for s in mekong.segments if s.kind is SegmentKind.session]
    assert len(described) == len(sessions) == 3
    for seg, text in zip(sessions, described, strict=True):
        assert _plain(seg.description) == text, seg.id


def test_two_respondents_of_three_minutes_per_session(mekong, note):
    promise = "Two Mekong countries will be invited to respond on this topic for 3 minutes"
    assert note.count(promise) == 3
    for seg in mekong.segments:
        if seg.kind is SegmentKind.session:
            assert (seg.respondents.count, seg.respondents.minutes) == (2, 3)
            assert seg.respondents.slots == []  # countries not yet invited
        else:
            assert seg.respondents is None


def test_respondent_cues_leave_each_respondent_three_minutes_before_the_end(mekong):
    cues = {c.id: c for c in build_timeline(mekong).cues}
    assert cues["respondent_slot/session-1/1"].at == bangkok(14, 39)
    assert cues["respondent_slot/session-1/2"].at == bangkok(14, 42)
    assert "(respondent to be invited) has 3 minutes" in cues["respondent_slot/session-2/2"].message


def test_group_photo_cue_right_after_the_opening_remarks(mekong, note):
    assert "<i>Group photo (virtual screenshot)</i>" in note
    spec = next(c for c in mekong.cues if c.id == "group-photo")
    assert spec.title == "Group photo (virtual screenshot)"
    assert (spec.segment, spec.anchor.value, spec.offset) == (
        "opening",
        "end",
        timedelta(minutes=-3),
    )
    cue = next(c for c in build_timeline(mekong).cues if c.id == "reminder/group-photo")
    assert cue.at == bangkok(14, 12)
    assert "screenshot" in cue.message


def test_language_host_country_and_organisers(mekong, note):
    assert "Event language: English" in note and mekong.event.language == "English"
    assert "hosted by the Kingdom of Cambodia" in note and mekong.event.host_country == "Cambodia"
    assert "Economic Cooperation Program" in note
    assert any("Economic Cooperation Program" in o for o in mekong.event.organisers)
    assert any("IOM" in o for o in mekong.event.organisers)
    assert mekong.event.title == "Mekong Dialogue on Labour Mobility" in note


def test_opening_remarks_speaker_lines_read_like_the_note(mekong, note):
    opening = mekong.segment("opening")
    assert "Mr. Chuop Narath, Deputy Director General" in note
    assert person_line(mekong.person(opening.speakers[0])).startswith("Mr. Chuop Narath, Deputy Director General")
    assert person_line(mekong.person("patrick-duigan")) == "Dr. Patrick Duigan, Regional Migration Health Advisor, IOM"
