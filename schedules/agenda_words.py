"""The public agenda page's own words, in the catalogs like every word Showcaller writes to people
(issue 30): the page gets them in its viewer's negotiated locale (`?lang=`, else Accept-Language,
else the event's language) and fills in each `{placeholder}` itself."""

from __future__ import annotations

from schedules.i18n import N_, Words

AGENDA_WORDS = {
    "page_title": N_("{title} · Agenda"),
    "agenda": N_("Agenda"),
    "loading": N_("Loading the agenda…"),
    "starting_soon": N_("Starting soon"),
    "starts_in": N_("Starts in"),
    "starts_at": N_("Starts at {time}"),
    "first": N_("First: {title}"),
    "now": N_("Now"),
    "next": N_("Next"),
    "next_at": N_("Next: {title} at {time}"),
    "at": N_("at {time}"),
    "finished": N_("Finished"),
    "ended": N_("This event has ended. Thank you for joining."),
    "late": N_("Running about {minutes} late."),
    "zone_note": N_("Times are in your time zone: {name}, {offset} ({zone})"),
    "organised_by": N_("Organised by {names}"),
    "flag_live": N_("NOW"),
    "flag_next": N_("NEXT"),
    "flag_done": N_("DONE"),
    "flag_skipped": N_("SKIPPED"),
    "moderators": N_("Moderators: "),
    "respondents": N_("+ {count} respondents × {minutes} min"),
    "planned": N_("planned {time}"),
    "about": N_("About this session"),
    "to_go": N_("to go"),
    "starting_now": N_("starting now"),
    "left": N_("left in this segment"),
    "over": N_("running a little over"),
}


def agenda_words(words: Words) -> dict[str, str]:
    """Every word of the agenda page for `words`' reader, by key, with `lang`: the BCP 47 tag of the
    language they are in (English where the catalog has none of them)."""
    shown = {key: words._(message) for key, message in AGENDA_WORDS.items()}
    translated = any(shown[key] != AGENDA_WORDS[key] for key in AGENDA_WORDS)
    return {**shown, "lang": words.reader.tag if translated else "en"}
