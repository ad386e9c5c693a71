"""The readiness check in another locale keeps who waits in Zoom's waiting room (issue 30): the fact
is in the cue's data, so the French headline says it as the English one does."""

from __future__ import annotations

from app.attendance.people import Check, Expected
from app.attendance.readiness import render
from schedules.cue_words import render_cue
from schedules.i18n import words_for
from schedules.load import load_file
from schedules.locales import Reader
from tests.conftest import bangkok
from tests.schedules.conftest import MEKONG


def test_the_waiting_room_is_named_in_english_and_in_french():
    schedule = load_file(MEKONG)
    nilim, ana = Expected("nilim-baruah", "Nilim Baruah", "speaker"), Expected("pinsuda-alexander", "P A", "moderator")
    check = Check(missing=[nilim, ana], present=[], waiting={"nilim-baruah"})
    title, message, data = render("Session 1", bangkok(14, 15), bangkok(14, 5), check)
    assert (
        title
        == "Readiness: Session 1 in 10 min — missing: Nilim Baruah (speaker, in the waiting room), P A (moderator)"
    )
    assert [e.get("waiting") for e in data["missing"]] == [True, None]  # only the one who waits
    data = {**data, "start": bangkok(14, 15).isoformat()}
    head, text = render_cue(
        words_for(Reader("fr")), schedule, "readiness_check", "readiness/session-1", "session-1", data, title, message
    )
    assert "Nilim Baruah (intervenant, en salle d’attente)" in head, head
    assert "P A (modérateur)" in head and "waiting room" not in head + text
    assert "Nilim Baruah (intervenant, en salle d’attente)" in text
