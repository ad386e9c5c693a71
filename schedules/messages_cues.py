"""Default wording of cues in English: short, time-free text (each target shows times in its own zone).

The words themselves live in schedules/cue_words.py, written once for every locale; these are the
English forms the rest of the product uses.
"""

from __future__ import annotations

from schedules import cue_words
from schedules.cue_words import people_line, person_line
from schedules.i18n import ENGLISH_WORDS
from schedules.model import Schedule, Segment


def respondent_label(schedule: Schedule, segment: Segment, slot: int) -> str:
    """Who speaks in a respondent slot: the named person, the country, or 'to be invited'."""
    return cue_words.respondent_label(ENGLISH_WORDS, schedule, segment, slot)


def segment_start_text(schedule: Schedule, segment: Segment) -> str:
    """What hosts need when a segment begins: who moderates, who speaks, respondents."""
    return cue_words.segment_start(ENGLISH_WORDS, schedule, segment)[1]


__all__ = ["people_line", "person_line", "respondent_label", "segment_start_text"]
