"""The presenter view's own words, in the catalogs like every word Showcaller writes to people
(issue 30): the page gets them in its reader's locale (the person of the presenter link, else the
event's language) and falls back to these English words for any it is not given."""

from __future__ import annotations

from schedules.i18n import N_, Words
from schedules.invites import ROLE_NAMES

STAGE_WORDS = {
    "warning": N_("WARNING"),
    "danger": N_("DANGER"),
    "time_up": N_("TIME UP"),
    "ending_soon": N_("ENDING SOON"),
    "over": N_("OVER"),
    "on_hold": N_("ON HOLD"),
    "paused": N_("PAUSED"),
    "end": N_("END"),
    "time_left": N_("Time left in this segment"),
    "starts_in": N_("Starts in"),
    "ended": N_("The event has ended"),
    "next": N_("Next: {title} · {time}"),
    "full_screen": N_("Full screen"),
    # The line for the person of the presenter link: their next slot and when it starts.
    "your_slot": N_("{name}, your slot ({part}): {time}, {when}"),
    "in": N_("in {countdown}"),
    "now": N_("now"),
    "no_more_slots": N_("{name}: no more slots today"),
    "respondent_number": N_("Respondent {number}"),
    # A slot's role by its value ('speaker', 'moderator'...), as invites and run sheets name it.
    **{f"role_{role.value}": name for role, name in ROLE_NAMES.items()},
}


def stage_words(words: Words) -> dict[str, str]:
    """Every word of the presenter view for `words`' reader, by key, with `lang`: the BCP 47 tag of
    the language they are in (English where the catalog has none of them)."""
    shown = {key: words._(message) for key, message in STAGE_WORDS.items()}
    translated = any(shown[key] != STAGE_WORDS[key] for key in STAGE_WORDS)
    return {**shown, "lang": words.reader.tag if translated else "en"}
