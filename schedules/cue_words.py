"""The words of every cue, in any locale: one place for what the timeline writes and what a target
in another locale reads (issue 30).

The timeline (schedules/timeline.py) writes each cue with the English words (`ENGLISH_WORDS`):
its text is stored with the cue and is what English targets get, unchanged. A target with its own
locale gets the same cue written again here, from the cue's kind, its data and the schedule, with
that locale's catalog, digits and per-locale titles (`render_cue`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from schedules.audience import translated
from schedules.i18n import ENGLISH_WORDS, N_, Words
from schedules.model import Person, Schedule, Segment

log = logging.getLogger(__name__)

# The roles a readiness line names, as people read them.
ROLE_WORDS = {
    "moderator": N_("moderator"),
    "speaker": N_("speaker"),
    "respondent": N_("respondent"),
}


def _mmss(w: Words, seconds: int) -> str:
    return w.reader.digits_of(f"{seconds // 60}:{seconds % 60:02d}")


def segment_title(w: Words, segment: Segment | None, fallback: str = "") -> str:
    """A segment's title for this reader (its per-locale title when the file gives one)."""
    if segment is None:
        return fallback
    return translated(segment.title, segment.titles, w.reader)


def event_title(w: Words, schedule: Schedule) -> str:
    """The event's title for this reader."""
    return translated(schedule.event.title, schedule.event.titles, w.reader)


def person_line(person: Person) -> str:
    """'Dr. Patrick Duigan, Regional Migration Health Advisor, IOM' (names are never translated)."""
    name = f"{person.honorific} {person.name}" if person.honorific else person.name
    return ", ".join(x for x in (name, person.title, person.organisation) if x)


def people_line(schedule: Schedule, ids: list[str]) -> str:
    """Semicolon-separated descriptions of the given people."""
    people = [schedule.person(i) for i in ids]
    return "; ".join(person_line(p) for p in people if p is not None)


def respondent_label(w: Words, schedule: Schedule, segment: Segment, slot: int) -> str:
    """Who speaks in a respondent slot (0-based): the named person, the country, or 'to be invited'."""
    named = segment.respondents.slots[slot] if segment.respondents and slot < len(segment.respondents.slots) else None
    if named and named.person and (person := schedule.person(named.person)):
        country = f" ({named.country or person.country})" if (named.country or person.country) else ""
        return person.name + country
    if named and named.country:
        return w._("respondent for {country}", country=named.country)
    return w._("respondent to be invited")


def respondents_summary(w: Words, segment: Segment) -> str:
    """'2 x 3 min', or '5 + 3 min' when slots differ."""
    r = segment.respondents
    assert r is not None
    each = [r.slot_minutes(n) for n in range(1, r.count + 1)]
    if len(set(each)) == 1:
        return w._("{count} x {minutes} min", count=w.number(r.count), minutes=w.number(r.minutes))
    return w._("{minutes} min", minutes=" + ".join(w.number(m) for m in each))


def segment_start(w: Words, schedule: Schedule, segment: Segment) -> tuple[str, str]:
    """'Now: <title>', and who moderates, who speaks, the respondents."""
    title = segment_title(w, segment)
    parts = [w._("{title} is starting.", title=title)]
    if segment.moderators:
        parts.append(w._("Moderators: {people}.", people=people_line(schedule, segment.moderators)))
    if segment.speakers:
        parts.append(w._("Speakers: {people}.", people=people_line(schedule, segment.speakers)))
    if segment.respondents:
        who = ", ".join(respondent_label(w, schedule, segment, i) for i in range(segment.respondents.count))
        parts.append(w._("Respondents: {summary} ({who}).", summary=respondents_summary(w, segment), who=who))
    return w._("Now: {title}", title=title), " ".join(parts)


def ending_soon(w: Words, segment: Segment, minutes: int, next_title: str | None) -> tuple[str, str]:
    """'<title>: 5 min left', and what comes next."""
    title, count = segment_title(w, segment), w.number(minutes)
    upnext = w._(" Next: {title}.", title=next_title) if next_title else w._(" It is the last segment.")
    text = w.n_(
        "{title} ends in {minutes} minute.", "{title} ends in {minutes} minutes.", minutes, title=title, minutes=count
    )
    return w._("{title}: {minutes} min left", title=title, minutes=count), text + upnext


def segment_end(w: Words, segment: Segment, last: bool) -> tuple[str, str]:
    """'Ended: <title>', and whether the event has ended with it."""
    title = segment_title(w, segment)
    closing = w._(" The event has ended.") if last else ""
    return w._("Ended: {title}", title=title), w._("{title} has ended.", title=title) + closing


def respondent_slot(w: Words, schedule: Schedule, segment: Segment, slot: int, minutes: float) -> tuple[str, str]:
    """Respondent `slot` (1-based) of the segment's respondents: who, and their minutes."""
    assert segment.respondents is not None
    title, count = segment_title(w, segment), segment.respondents.count
    who = respondent_label(w, schedule, segment, slot - 1)
    values = {
        "slot": w.number(slot),
        "count": w.number(count),
        "title": title,
        "who": who,
        "minutes": w.number(minutes),
    }
    head = w._("Respondent {slot} of {count}: {title}", **values)
    text = w.n_(
        "Respondent {slot} of {count} ({who}) has {minutes} minute. Start their timer.",
        "Respondent {slot} of {count} ({who}) has {minutes} minutes. Start their timer.",
        minutes,
        **values,
    )
    return head, text


def readiness_planned(
    w: Words, schedule: Schedule, segment: Segment, before: int, people: list[str]
) -> tuple[str, str]:
    """The readiness check as planned: who is expected, `before` minutes ahead."""
    title, count = segment_title(w, segment), w.number(before)
    head = w._("Readiness: {title} in {minutes} min", title=title, minutes=count)
    text = w.n_(
        "{title} starts in {minutes} minute. Expected: {people}.",
        "{title} starts in {minutes} minutes. Expected: {people}.",
        before,
        title=title,
        minutes=count,
        people=people_line(schedule, people),
    )
    return head, text


def readiness_checked(
    w: Words, segment: Segment, minutes: int, missing: list[dict], present: list[dict]
) -> tuple[str, str]:
    """The readiness check as fired: who is missing and who is present, `minutes` ahead."""
    title, count = segment_title(w, segment), w.number(minutes)

    def label(entry: Mapping[str, Any]) -> str:
        if entry.get("id") is None:
            return w._("{name} not joined", name=entry.get("name", ""))
        role = ROLE_WORDS.get(str(entry.get("role")))
        shown = w._(role) if role else str(entry.get("role"))
        if entry.get("waiting"):  # seen in Zoom's waiting room, not yet admitted
            return w._("{name} ({role}, in the waiting room)", name=entry.get("name", ""), role=shown)
        return f"{entry.get('name', '')} ({shown})"

    absent, here = [label(e) for e in missing], [label(e) for e in present]
    head = w._("Readiness: {title} in {minutes} min", title=title, minutes=count)
    if absent:
        head = w._("{head} — missing: {people}", head=head, people=", ".join(absent))
    else:
        head = w._("{head} — all present", head=head)
    parts = [
        w.n_(
            "{title} starts in {minutes} minute.",
            "{title} starts in {minutes} minutes.",
            minutes,
            title=title,
            minutes=count,
        )
    ]
    parts.append(
        w._("Missing: {people}.", people="; ".join(absent)) if absent else w._("All expected people are present.")
    )
    if here and absent:
        parts.append(w._("Present: {people}.", people="; ".join(here)))
    return head, " ".join(parts)


def timer_start(w: Words, label: str, seconds: int) -> tuple[str, str]:
    """A respondent's timer starts: '<label>: 3:00 starts now'."""
    amount = _mmss(w, seconds)
    return w._("{label}: {time} starts now", label=label, time=amount), w._(
        "{label} has {time}.", label=label, time=amount
    )


def timer_left(w: Words, label: str, seconds: int) -> tuple[str, str]:
    """A timer's warning or danger: '<label>: 1:00 left'."""
    amount = _mmss(w, seconds)
    return w._("{label}: {time} left", label=label, time=amount), w._(
        "{label} has {time} left.", label=label, time=amount
    )


def timer_up(w: Words, label: str) -> tuple[str, str]:
    """A timer's time is up."""
    return w._("{label}: time is up", label=label), w._("{label}: time is up.", label=label)


def delay_notice(w: Words, title: str | None, seconds: int, mode: str) -> tuple[str, str]:
    """The hosts' short notice of a delay (or of time taken off)."""
    title = title or w._("The agenda")
    amount = _mmss(w, abs(seconds))
    if seconds > 0:
        after = w._("the segments after it absorb it") if mode == "absorb" else w._("everything after it moves later")
        return (
            w._("Delay: {title} +{time}", title=title, time=amount),
            w._("A host added {time} to {title}; {after}.", time=amount, title=title, after=after),
        )
    return (
        w._("Brought forward: {title} -{time}", title=title, time=amount),
        w._("A host took {time} off {title}.", time=amount, title=title),
    )


ANNOUNCEMENT = N_("Announcement")
# The labels of the links a message carries (app/core/public_url.py, app/engine/lookups.py), written
# in each target's words by compose().
HOST_CONSOLE, JOIN_ZOOM = N_("Host console"), N_("Join Zoom")
REMINDER = N_("Reminder")
# The hosts' reminders that stand in for what Zoom's API cannot do (schedules/zoom_actions.py writes
# the same English): open a poll, and move a local recording.
POLL = (N_("Poll: {poll}"), N_("Open poll '{poll}' now."))
LOCAL_RECORDING = {
    "recording.start": (N_("Local recording: start"), N_("Start the local recording now.")),
    "recording.pause": (N_("Local recording: pause for {segment}"), N_("Pause the local recording now.")),
    "recording.resume": (N_("Local recording: resume after {segment}"), N_("Resume the local recording now.")),
    "recording.stop": (N_("Local recording: stop"), N_("Stop the local recording now.")),
}


def zoom_reminder(w: Words, segment: Segment | None, data: Mapping[str, Any]) -> tuple[str, str] | None:
    """A poll's or a local recording's reminder to the hosts in the reader's words (None: not one)."""
    action = str(data.get("action") or "")
    if action == "poll.open" and data.get("poll"):
        return w._(POLL[0], poll=data["poll"]), w._(POLL[1], poll=data["poll"])
    if action in LOCAL_RECORDING:
        title, text = LOCAL_RECORDING[action]
        shown = segment_title(w, segment, "") if segment is not None else ""
        return w._(title, segment=shown) if "{segment}" in title else w._(title), w._(text)
    return None


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def listed(w: Words, labels: list[str]) -> str:
    """'a', 'a and b', 'a, b and c': English as corrections always wrote it, other locales by CLDR."""
    if not w.reader.english:
        return w.reader.join(labels)
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def correction_situation(
    w: Words, schedule: Schedule, status: str, segment: Segment | None, held: bool, fallback: str = ""
) -> str:
    """Where the event stands after an undo, for a correction: 'Session 1 is still running'."""
    if status == "ended":
        return w._("{title} has ended", title=event_title(w, schedule))
    if status == "scheduled" or (segment is None and not fallback):
        return w._("{title} has not started yet", title=event_title(w, schedule))
    title = segment_title(w, segment, fallback)
    return w._("{title} is on hold", title=title) if held else w._("{title} is still running", title=title)


def withdrawn_cue(w: Words, title: str) -> str:
    """A withdrawn cue, named by the title its reader saw: "'Now: Session 1'"."""
    return w._("'{title}'", title=title)


def withdrawn_announcement(w: Words, at: str | None, text: str) -> str:
    """A withdrawn announcement, named by when it was posted (the event's clock) and how it began."""
    if at:
        return w._("the announcement of {time} '{text}'", time=at, text=text)
    return w._("the announcement '{text}'", text=text)


# What Zoom does when an undo reverses a Zoom action (the inverse action, schedules/zoom_actions.py).
UNDONE_IN_ZOOM = {
    "recording.stop": N_("In Zoom, the recording stops."),
    "recording.resume": N_("In Zoom, the recording resumes."),
    "recording.pause": N_("In Zoom, the recording pauses."),
    "recording.start": N_("In Zoom, the recording starts again."),
    "livestream.stop": N_("In Zoom, the live stream stops."),
    "livestream.start": N_("In Zoom, the live stream starts again."),
}


def correction(w: Words, situation: str, labels: list[str], undone_in_zoom: str | None = None) -> tuple[str, str]:
    """An undo's correction: where the event stands, what to disregard, and what Zoom does about it."""
    text = w._("Correction: {situation}; please disregard {what}.", situation=situation, what=listed(w, labels))
    if undone_in_zoom in UNDONE_IN_ZOOM:
        text += " " + w._(UNDONE_IN_ZOOM[undone_in_zoom])
    return w._("Correction: {situation}", situation=situation), text


def render_cue(
    w: Words,
    schedule: Schedule,
    kind: str,
    cue_id: str,
    segment_id: str | None,
    data: Mapping[str, Any],
    title: str,
    message: str,
) -> tuple[str, str]:
    """(title, message) of a cue for the reader of `w`, written again from its kind and data.

    `title` and `message` are the cue's stored English words: kept for English readers, and for
    what is nobody's to translate (a host's announcement, a correction's quotes of what was sent).
    """
    if w.reader.english:
        return title, message
    segment = schedule.segment(segment_id) if segment_id else None
    if kind == "segment_start" and segment is not None:
        return segment_start(w, schedule, segment)
    if kind == "segment_ending_soon" and segment is not None:
        minutes = int(schedule.run.ending_soon.total_seconds() // 60)
        nxt = schedule.segment(str(data["next"])) if data.get("next") else None
        next_title = segment_title(w, nxt, str(data.get("next_title") or "")) if data.get("next") else None
        return ending_soon(w, segment, minutes, next_title)
    if kind == "segment_end" and segment is not None:
        return segment_end(w, segment, last=not data.get("next"))
    if kind == "respondent_slot" and segment is not None and segment.respondents:
        return respondent_slot(w, schedule, segment, int(data.get("slot", 1)), float(data.get("minutes", 0)))
    if kind == "readiness_check" and segment is not None:
        if "missing" in data and (start := _when(data.get("start"))) and (checked := _when(data.get("checked_at"))):
            minutes = max(0, round((start - checked).total_seconds() / 60))
            return readiness_checked(w, segment, minutes, list(data["missing"]), list(data.get("present", [])))
        before = int(schedule.readiness.before.total_seconds() // 60)
        return readiness_planned(w, schedule, segment, before, list(data.get("people", [])))
    if kind.startswith("timer_") and "seconds" in data:
        label = str(data.get("label") or data.get("timer") or "")
        if kind == "timer_start":
            return timer_start(w, label, int(data["seconds"]))
        if kind in ("timer_warning", "timer_danger"):
            left = schedule.timers.warning if kind == "timer_warning" else schedule.timers.danger
            return timer_left(w, label, int(left.total_seconds()))
        if kind == "timer_up":
            return timer_up(w, label)
    if kind == "delay" and "seconds" in data:
        shown = segment_title(w, segment, "") if segment else None
        return delay_notice(w, shown, int(data["seconds"]), str(data.get("mode") or schedule.run.delay_mode))
    if kind == "reminder" and (zoom := zoom_reminder(w, segment, data)) is not None:
        return zoom
    if kind == "reminder":
        spec = next((c for c in schedule.cues if f"reminder/{c.id}" == cue_id), None)
        if spec is not None:
            head = translated(spec.title, spec.titles, w.reader) if spec.title else w._(REMINDER)
            return head, translated(spec.message, spec.messages, w.reader)
    if kind == "announcement":
        return w._(ANNOUNCEMENT), message  # the host's own words
    if kind == "correction":
        return title, message  # written in its one target's words when the undo was taken (app/run/undo.py)
    log.warning("cue %s (%s) has no words in %s; sent as written", cue_id, kind, w.reader.locale)
    return title, message


__all__ = ["ENGLISH_WORDS", "render_cue"]
