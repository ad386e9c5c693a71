"""Cross-field checks a field-by-field model cannot make: references, overlaps, Zoom's limits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from pydantic import EmailStr, TypeAdapter, ValidationError

from schedules.clock import change_between, read_local, utc_label, utc_offset, wall
from schedules.durations import combine_local, format_clock, format_duration
from schedules.i18n import SHIPPED, Catalogs, as_search
from schedules.locales import has_native_digits, locale_id
from schedules.model import MAX_CALL_BEFORE, Role, Schedule, Target, ZoomSettings
from schedules.problems import Path
from schedules.resolve import event_window, planned_segments, to_utc, zone
from schedules.roster import panelist_refs
from schedules.suggest import did_you_mean, known_list, time_zones
from schedules.zoom_actions import END, WAITING_ROOM_FIELDS, template_fields

Finding = tuple[Path, str, str]
ZOOM_MAX_ROOMS = 100
ZOOM_MAX_PREASSIGNED = 1000
ZOOM_MAX_TOPIC = 200
ZOOM_MAX_AGENDA = 2000
ZOOM_MAX_MINUTES = 1440  # a scheduled meeting's duration: 1-1440 minutes (docs/zoom-api-notes.md)
_EMAIL = TypeAdapter(EmailStr)


def is_email(value: str) -> bool:
    """True if the text is a syntactically valid email address."""
    try:
        _EMAIL.validate_python(value)
    except ValidationError:
        return False
    return True


def check_rules(schedule: Schedule, catalogs: Catalogs = SHIPPED) -> list[Finding]:
    """Every cross-field problem in a schedule that already passed the model (a target in another
    locale is checked against the catalogs `catalogs` finds; a search with drafts, a rehearsal's
    preview, lets drafts and missing strings through: `catalog_warnings` names them)."""
    findings = [
        *_duplicates(schedule),
        *_references(schedule),
        *_zoom(schedule),
        *_zoom_actions(schedule),
        *_targets(schedule),
        *_chat_ids(schedule),
        *_people_zones(schedule),
        *_call_times(schedule),
        *_locales(schedule),
    ]
    if not any(f[0][:1] in (("event",), ("targets",)) and "locale" in f[1] for f in findings):
        findings.extend(_catalogs(schedule, catalogs))
    if zone(schedule.event.timezone) is None:
        findings.append((("event", "timezone"), *_unknown_zone(schedule.event.timezone)))
    else:
        clock_problems = list(_clock_ranges(schedule)) or list(_clock_changes(schedule))
        # Derived checks would quote times the author never wrote; the clock problems come first.
        findings.extend(clock_problems or [*_times(schedule), *_zoom_duration(schedule)])
    return findings


def _clock_ranges(schedule: Schedule) -> Iterator[Finding]:
    """Date-times written in full stay within a week of the event's date."""
    day = schedule.event.date
    for path, clock in _clock_fields(schedule):
        if isinstance(clock, datetime) and abs((clock.date() - day).days) > 7:
            yield (
                path,
                f"{clock.isoformat()} is more than a week from the event's date ({day})",
                f"write HH:MM for a time on {day}, or correct the date",
            )


def _clock_fields(schedule: Schedule) -> Iterator[tuple[Path, time | datetime]]:
    for name in ("start", "end"):
        if getattr(schedule.event, name) is not None:
            yield ("event", name), getattr(schedule.event, name)
    for i, seg in enumerate(schedule.segments):
        yield ("segments", i, "start"), seg.start
        if seg.end is not None:
            yield ("segments", i, "end"), seg.end
    for i, cue in enumerate(schedule.cues):
        if cue.at is not None:
            yield ("cues", i, "at"), cue.at


def _clock_changes(schedule: Schedule) -> Iterator[Finding]:
    """Local times that do not exist, or exist twice, on a clock-change day (from the zone database)."""
    tz = zone(schedule.event.timezone)
    for path, clock in _clock_fields(schedule):
        moment = combine_local(schedule.event.date, clock)
        short = isinstance(clock, time)
        show = (lambda d: d.strftime("%H:%M")) if short else (lambda d: d.isoformat(timespec="minutes"))
        if moment.tzinfo is not None:
            wall = moment.replace(tzinfo=None)
            around = read_local(wall, tz)  # type: ignore[arg-type]  # an unknown zone stops the rules earlier
            if short and moment.utcoffset() not in (around.before, around.after):
                offsets = " or ".join(dict.fromkeys(utc_label(o) for o in (around.before, around.after)))
                yield (
                    path,
                    f"{format_clock(clock)} is not a time in {schedule.event.timezone} on "
                    f"{moment.date()} (the zone is at {offsets} then)",
                    f"write the offset the zone has, or just {show(moment)}",
                )
            continue
        reading = read_local(moment, tz)  # type: ignore[arg-type]  # an unknown zone stops the rules earlier
        if reading.kind == "gap":
            gap = reading.after - reading.before
            found = change_between(
                tz,  # type: ignore[arg-type]  # an unknown zone stops the rules earlier
                moment.replace(tzinfo=UTC) - reading.after,
                moment.replace(tzinfo=UTC) - reading.before + timedelta(seconds=1),
            )
            at = found[0] if found else reading.instant
            yield (
                path,
                f"{show(moment)} does not exist on {moment.date()} in {schedule.event.timezone}: "
                f"clocks go from {(at + reading.before).strftime('%H:%M')} to "
                f"{(at + reading.after).strftime('%H:%M')}",
                f"write {show(moment - gap)} or {show(moment + gap)}, or {show(moment)}"
                f"{utc_offset(reading.before)} for {utc_label(reading.before)}",
            )
        elif reading.kind == "ambiguous":
            found = change_between(
                tz,  # type: ignore[arg-type]  # an unknown zone stops the rules earlier
                moment.replace(tzinfo=UTC) - reading.before,
                moment.replace(tzinfo=UTC) - reading.after + timedelta(seconds=1),
            )
            at = found[0] if found else reading.instant
            yield (
                path,
                f"{show(moment)} happens twice on {moment.date()} in {schedule.event.timezone}: "
                f"clocks go back from {(at + reading.before).strftime('%H:%M')} to "
                f"{(at + reading.after).strftime('%H:%M')}",
                f"write {show(moment)}{utc_offset(reading.before)} for the first ({utc_label(reading.before)}) "
                f"or {show(moment)}{utc_offset(reading.after)} for the second ({utc_label(reading.after)})",
            )


def _duplicates(schedule: Schedule) -> Iterator[Finding]:
    sections: dict[str, Sequence[Any]] = {
        "people": schedule.people,
        "segments": schedule.segments,
        "cues": schedule.cues,
        "targets": schedule.targets,
    }
    for section, items in sections.items():
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if item.id in seen:
                yield (
                    (section, i, "id"),
                    f"duplicate id '{item.id}' (first used at {section}[{seen[item.id]}])",
                    "give every item in this list its own id",
                )
            seen.setdefault(item.id, i)
    for i, cue in enumerate(schedule.cues):
        named: dict[str, int] = {}
        for j, target in enumerate(cue.targets):
            if target in named:  # a target named twice would be posted the cue twice
                yield (
                    ("cues", i, "targets", j),
                    f"duplicate target '{target}' (already at cues[{i}].targets[{named[target]}])",
                    "name each target once",
                )
            named.setdefault(target, j)
    rooms: set[str] = set()
    for i, room in enumerate(schedule.zoom.breakout_rooms):
        if room.name in rooms:
            yield (
                ("zoom", "breakout_rooms", i, "name"),
                f"duplicate room name '{room.name}'",
                "give every breakout room its own name",
            )
        rooms.add(room.name)


def _person_ref(schedule: Schedule, path: Path, ref: str | None, *, email_ok: bool) -> Iterator[Finding]:
    if ref is None or schedule.person(ref) is not None:
        return
    if email_ok and is_email(ref):
        return
    ids = [p.id for p in schedule.people]
    allowed = "a person id from people: or an email" if email_ok else "a person id from people:"
    yield (path, f"unknown person '{ref}'", f"{did_you_mean(ref, ids)}use {allowed} (known: {known_list(ids)})")


def _references(schedule: Schedule) -> Iterator[Finding]:
    segment_ids = {s.id for s in schedule.segments}
    for i, seg in enumerate(schedule.segments):
        for field in ("moderators", "speakers"):
            for j, ref in enumerate(getattr(seg, field)):
                yield from _person_ref(schedule, ("segments", i, field, j), ref, email_ok=False)
        for j, slot in enumerate(seg.respondents.slots if seg.respondents else []):
            yield from _person_ref(
                schedule, ("segments", i, "respondents", "slots", j, "person"), slot.person, email_ok=False
            )
    target_ids = {t.id for t in schedule.targets}
    for i, cue in enumerate(schedule.cues):
        if cue.segment is not None and cue.segment not in segment_ids:
            yield (
                ("cues", i, "segment"),
                f"unknown segment '{cue.segment}'",
                f"{did_you_mean(cue.segment, segment_ids)}use one of: {known_list(sorted(segment_ids))}",
            )
        for j, target in enumerate(cue.targets):
            if target not in target_ids:
                yield (
                    ("cues", i, "targets", j),
                    f"unknown target '{target}'",
                    f"{did_you_mean(target, target_ids)}use one of: "
                    f"{known_list(sorted(target_ids)) if target_ids else 'define targets: first'}",
                )
    zoom = schedule.zoom
    for field in ("alternative_hosts", "invitees", "panelists"):
        for j, ref in enumerate(getattr(zoom, field) or []):
            yield from _person_ref(schedule, ("zoom", field, j), ref, email_ok=True)
    for j, item in enumerate(zoom.interpretation):
        yield from _person_ref(schedule, ("zoom", "interpretation", j, "interpreter"), item.interpreter, email_ok=True)


def email_of(schedule: Schedule, ref: str) -> str | None:
    """The email a reference stands for: a person's email, or the reference itself if it is one."""
    person = schedule.person(ref)
    if person is not None:
        return person.email
    return ref if is_email(ref) else None


def _zoom(schedule: Schedule) -> Iterator[Finding]:
    zoom: ZoomSettings = schedule.zoom
    topic = zoom.topic or schedule.event.title
    if len(topic) > ZOOM_MAX_TOPIC:
        where = ("zoom", "topic") if zoom.topic else ("event", "title")
        yield (
            where,
            f"Zoom topic is {len(topic)} characters; Zoom allows at most {ZOOM_MAX_TOPIC}",
            "set zoom.topic to a shorter title",
        )
    agenda = zoom.agenda or ""
    if len(agenda) > ZOOM_MAX_AGENDA:
        yield (
            ("zoom", "agenda"),
            f"Zoom agenda is {len(agenda)} characters; Zoom allows at most {ZOOM_MAX_AGENDA}",
            "shorten zoom.agenda",
        )
    if len(zoom.breakout_rooms) > ZOOM_MAX_ROOMS:
        yield (
            ("zoom", "breakout_rooms"),
            f"{len(zoom.breakout_rooms)} breakout rooms; Zoom pre-assigns at most {ZOOM_MAX_ROOMS}",
            "merge rooms or assign the rest live",
        )
    total = 0
    for i, room in enumerate(zoom.breakout_rooms):
        for j, ref in enumerate(room.participants):
            total += 1
            path = ("zoom", "breakout_rooms", i, "participants", j)
            if schedule.person(ref) is None and not is_email(ref):
                yield (
                    path,
                    f"'{ref}' is neither a person id nor an email",
                    "pre-assigned participants must be emails of Zoom accounts (or people with an email)",
                )
            elif email_of(schedule, ref) is None:
                yield (path, f"person '{ref}' has no email", "pre-assigned participants must be emails; add one")
    if total > ZOOM_MAX_PREASSIGNED:
        yield (
            ("zoom", "breakout_rooms"),
            f"{total} pre-assigned participants; Zoom allows at most {ZOOM_MAX_PREASSIGNED}",
            "assign the rest live in the meeting",
        )
    for j, ref in enumerate(zoom.alternative_hosts):
        if schedule.person(ref) is not None and email_of(schedule, ref) is None:
            yield (
                ("zoom", "alternative_hosts", j),
                f"person '{ref}' has no email",
                "Zoom names alternative hosts by email; add one to the person",
            )
    yield from _interpreters(schedule)
    if zoom.breakout_rooms and zoom.kind == "webinar":
        yield (
            ("zoom", "breakout_rooms"),
            "breakout rooms only exist in meetings; Zoom webinars have none",
            "set zoom.kind: meeting or remove breakout_rooms",
        )
    if zoom.kind == "webinar":
        for ref_path, ref in panelist_refs(schedule):
            if schedule.person(ref) is not None and email_of(schedule, ref) is None:
                yield (
                    ref_path,
                    f"panelist '{ref}' has no email",
                    "Zoom invites panelists by email; add one to the person",
                )
    else:
        if zoom.panelists is not None:
            yield (("zoom", "panelists"), "panelists only exist in webinars", "set zoom.kind: webinar or remove it")
        for i, person in enumerate(schedule.people):
            if Role.panelist in person.roles:
                yield (
                    ("people", i, "roles", person.roles.index(Role.panelist)),
                    "panelists only exist in webinars",
                    "set zoom.kind: webinar or remove the panelist role",
                )


def _segment_ref(schedule: Schedule, path: Path, ref: str, *, end_ok: bool = False) -> Iterator[Finding]:
    ids = [s.id for s in schedule.segments]
    if ref in ids or (end_ok and ref == END):
        return
    choices = [*ids, END] if end_ok else ids
    yield (path, f"unknown segment '{ref}'", f"{did_you_mean(ref, choices)}use one of: {known_list(choices)}")


def _span(schedule: Schedule, path: Path, start_at: str, stop_at: str, what: str) -> Iterator[Finding]:
    """start_at and stop_at name segments (stop_at may be `end`) in agenda order."""
    bad = [*_segment_ref(schedule, (*path, "start_at"), start_at)]
    bad += _segment_ref(schedule, (*path, "stop_at"), stop_at, end_ok=True)
    yield from bad
    if bad or stop_at == END:
        return
    ids = [s.id for s in schedule.segments]
    if ids.index(stop_at) < ids.index(start_at):
        yield (
            (*path, "stop_at"),
            f"the {what} would stop after '{stop_at}', which comes before '{start_at}', where it starts",
            f"name '{start_at}' or a later segment, or write stop_at: end",
        )


def _zoom_actions(schedule: Schedule) -> Iterator[Finding]:
    """Recording, live stream, waiting room and polls name segments that exist, in a sensible order."""
    zoom = schedule.zoom
    ids = [s.id for s in schedule.segments]
    rec = zoom.recording
    if rec is not None:
        yield from _span(schedule, ("zoom", "recording"), rec.start_at, rec.stop_at, "recording")
        first = ids.index(rec.start_at) if rec.start_at in ids else None
        last = ids.index(rec.stop_at) if rec.stop_at in ids else len(ids) - 1
        for j, ref in enumerate(rec.pause_during):
            path: Path = ("zoom", "recording", "pause_during", j)
            found = list(_segment_ref(schedule, path, ref))
            yield from found
            if found or first is None:
                continue
            if not first < ids.index(ref) <= last:
                yield (
                    path,
                    f"'{ref}' is not while the recording runs (from '{rec.start_at}' to '{rec.stop_at}')",
                    "pause only during a segment after start_at and up to stop_at, or remove it",
                )
            elif ref in rec.pause_during[:j]:
                yield (path, f"'{ref}' is listed twice", "list each segment once")
        if zoom.auto_recording != "none":
            yield (
                ("zoom", "auto_recording"),
                f"auto_recording: {zoom.auto_recording} has Zoom record from the moment the meeting starts, "
                f"before '{rec.start_at}', where zoom.recording starts it",
                "set auto_recording: none (zoom.recording starts and stops the recording), or remove zoom.recording",
            )
    if zoom.livestream is not None:
        yield from _span(
            schedule, ("zoom", "livestream"), zoom.livestream.start_at, zoom.livestream.stop_at, "live stream"
        )
    if zoom.waiting_room_message is not None:
        path = ("zoom", "waiting_room_message")
        try:
            names = template_fields(zoom.waiting_room_message)
        except ValueError as exc:
            yield (path, f"the template is malformed ({exc})", "write placeholders as {segment}; {{ for a brace")
        else:
            for name in dict.fromkeys(n for n in names if n not in WAITING_ROOM_FIELDS):
                yield (
                    path,
                    f"unknown placeholder {{{name}}}",
                    f"{did_you_mean(name, WAITING_ROOM_FIELDS)}use one of: "
                    + ", ".join(f"{{{n}}}" for n in WAITING_ROOM_FIELDS),
                )
        if not zoom.waiting_room:
            yield (
                path,
                "a waiting-room message is set but the waiting room is off",
                "set waiting_room: true, or remove waiting_room_message",
            )
    titles: dict[str, int] = {}
    for i, poll in enumerate(zoom.polls):
        yield from _segment_ref(schedule, ("zoom", "polls", i, "open_at"), poll.open_at)
        key = poll.title.strip().casefold()
        if key in titles:
            yield (
                ("zoom", "polls", i, "title"),
                f"duplicate poll title '{poll.title}' (first used at zoom.polls[{titles[key]}])",
                "give every poll its own title: apply finds a poll in Zoom by it",
            )
        titles.setdefault(key, i)


def _zoom_duration(schedule: Schedule) -> Iterator[Finding]:
    zoom = schedule.zoom
    opens, closes = event_window(schedule)
    minutes = (closes - opens).total_seconds() / 60
    if minutes > ZOOM_MAX_MINUTES:
        where = ("event", "end") if schedule.event.end else ("segments", len(schedule.segments) - 1, "end")
        yield (
            where,
            f"the event runs {minutes:,.0f} minutes; Zoom schedules a {zoom.kind} for at most "
            f"{ZOOM_MAX_MINUTES:,} minutes (24 hours)",
            f"split it into {zoom.kind}s of 24 hours or less",
        )


def _interpreters(schedule: Schedule) -> Iterator[Finding]:
    listed = set()
    for j, item in enumerate(schedule.zoom.interpretation):
        listed.add(item.interpreter)
        path = ("zoom", "interpretation", j)
        if schedule.person(item.interpreter) is not None and email_of(schedule, item.interpreter) is None:
            yield (
                (*path, "interpreter"),
                f"interpreter '{item.interpreter}' has no email",
                "Zoom assigns interpreters by email; add one to the person",
            )
        if len(item.languages) != 2:
            found = ", ".join(item.languages) or "none"
            yield (
                (*path, "languages"),
                f"interpreter '{item.interpreter}' needs exactly two languages, the pair they interpret "
                f"between; found {len(item.languages)} ({found})",
                "write exactly the pair, e.g. languages: [Khmer, English]",
            )
        elif len({lang.strip().lower() for lang in item.languages}) < 2:
            yield (
                (*path, "languages"),
                f"the languages are the same ({item.languages[0]})",
                "Zoom needs a pair of two different languages, e.g. [Khmer, English]",
            )
    for i, person in enumerate(schedule.people):
        if Role.interpreter in person.roles and person.id not in listed:
            pair = person.languages if len(person.languages) == 2 else ["Khmer", "English"]
            yield (
                ("people", i, "roles", person.roles.index(Role.interpreter)),
                f"'{person.id}' has the interpreter role but no zoom.interpretation entry, so Zoom would "
                "not set up their channel",
                f"add {{interpreter: {person.id}, languages: [{', '.join(pair)}]}} under zoom.interpretation",
            )


def _call_times(schedule: Schedule) -> Iterator[Finding]:
    """Call times are 0 (at the slot) to 4h before it: negative would call people after they start."""
    found: list[tuple[Path, timedelta]] = [
        (("stage", "call_before", role.value), value) for role, value in schedule.stage.call_before.items()
    ]
    found += [(("people", i, "call_before"), p.call_before) for i, p in enumerate(schedule.people) if p.call_before]
    for path, value in found:
        if value < timedelta(0):
            yield (
                path,
                f"{format_duration(value)} would call people after their slot starts",
                "write how long before the slot, e.g. 20m, or 0m for the minute of the slot",
            )
        elif value > MAX_CALL_BEFORE:
            yield (
                path,
                f"{format_duration(value)} before a slot is longer than {format_duration(MAX_CALL_BEFORE)}",
                f"write at most {format_duration(MAX_CALL_BEFORE)}, e.g. 30m",
            )


def _people_zones(schedule: Schedule) -> Iterator[Finding]:
    for i, person in enumerate(schedule.people):
        if person.timezone and zone(person.timezone) is None:
            yield (
                ("people", i, "timezone"),
                f"unknown time zone '{person.timezone}'",
                "use an IANA name such as Asia/Yangon, or leave it out to use the event's",
            )


def _targets(schedule: Schedule) -> Iterator[Finding]:
    segment_ids = {s.id for s in schedule.segments}
    for i, target in enumerate(schedule.targets):
        if target.timezone and zone(target.timezone) is None:
            yield (("targets", i, "timezone"), *_unknown_zone(target.timezone))
        for j, seg in enumerate(target.filter.segments):
            if seg not in segment_ids:
                yield (
                    ("targets", i, "filter", "segments", j),
                    f"unknown segment '{seg}'",
                    f"{did_you_mean(seg, segment_ids)}use one of: {known_list(sorted(segment_ids))}",
                )
        yield from _buttons(i, target)
        yield from _app_mode(i, target)
        if target.kind == "zoom_chat" and not target.token_env:
            yield (
                ("targets", i),
                "a zoom_chat target needs token_env (the verification token)",
                "add token_env: NAME_OF_THE_VARIABLE",
            )


def _buttons(i: int, target: Target) -> Iterator[Finding]:
    """Action buttons go only where hosts read, on chat kinds that can show a link."""
    if not target.buttons:
        return
    if not target.hosts:
        yield (
            ("targets", i, "buttons"),
            "action buttons act on the live event, so only a hosts target may carry them",
            "add hosts: true to this target, or remove buttons",
        )
    if target.kind == "webhook":
        yield (
            ("targets", i, "buttons"),
            "a webhook target carries no buttons (only slack, teams, discord and zoom_chat show them)",
            "remove buttons from this target",
        )
    seen: set[str] = set()
    for j, verb in enumerate(target.buttons):
        if verb in seen:
            yield (("targets", i, "buttons", j), f"'{verb}' is listed twice", "list each button once")
        seen.add(verb)


def _locales(schedule: Schedule) -> Iterator[Finding]:
    """Every locale the file names is one CLDR knows; native digits only where this product writes them."""

    def known(path: Path, value: str) -> Iterator[Finding]:
        try:
            locale_id(value)
        except ValueError as exc:
            message, fix = str(exc).split("; ", 1)
            yield path, message, fix

    yield from known(("event", "language"), schedule.event.language)
    for key in schedule.event.titles:
        yield from known(("event", "titles", key), key)
    for i, person in enumerate(schedule.people):
        if person.locale:
            found = list(known(("people", i, "locale"), person.locale))
            yield from found
            if found:
                continue
        if person.digits == "native":
            try:
                theirs = locale_id(person.locale or schedule.event.language)
            except ValueError:
                continue  # reported under event.language
            if not has_native_digits(theirs):
                yield (
                    ("people", i, "digits"),
                    f"locale '{theirs}' has no native digits Showcaller writes (km, lo, my and th have)",
                    "remove digits: native, or set this person's locale: to km, lo, my or th",
                )
    for i, seg in enumerate(schedule.segments):
        for key in seg.titles:
            yield from known(("segments", i, "titles", key), key)
    for i, cue in enumerate(schedule.cues):
        for field in ("titles", "messages"):
            for key in getattr(cue, field):
                yield from known(("cues", i, field, key), key)
    for i, target in enumerate(schedule.targets):
        if target.locale:
            found = list(known(("targets", i, "locale"), target.locale))
            yield from found
            if found:
                continue
        locale = locale_id(target.locale) if target.locale else None
        if target.digits == "native":
            try:
                locale = locale or locale_id(schedule.event.language)
            except ValueError:
                continue  # reported under event.language
            if not has_native_digits(locale):
                yield (
                    ("targets", i, "digits"),
                    f"locale '{locale}' has no native digits Showcaller writes (km, lo, my and th have)",
                    "remove digits: native, or set locale: to km, lo, my or th",
                )


def _lacking(schedule: Schedule, catalogs: Catalogs) -> Iterator[tuple[Path, Target, str, dict[str, str]]]:
    """Each target in another locale whose catalog cannot write (on the day) a string this event
    would send it: where its locale is set, the target, the locale and the strings with why."""
    from schedules.audience import target_reader
    from schedules.catalog_check import untranslated_for

    for i, target in enumerate(schedule.targets):
        reader = target_reader(schedule, target)
        if reader.english:
            continue
        where: Path = ("targets", i, "locale") if target.locale else ("event", "language")
        lacking = untranslated_for(schedule, target, reader, catalogs)
        if lacking:
            yield where, target, reader.locale or "", lacking


def _named(lacking: dict[str, str]) -> str:
    shown = "; ".join(f"{msgid!r} ({why})" for msgid, why in list(lacking.items())[:6])
    return shown + (f" and {len(lacking) - 6} more" if len(lacking) > 6 else "")


def catalog_warnings(schedule: Schedule, catalogs: Catalogs) -> list[Finding]:
    """What a rehearsal's preview of drafts lets through, per target (none without drafts: there
    `check_rules` refuses them). Each draft is written marked `[DRAFT] `, each missing string in
    English marked `[DRAFT: English] `."""
    if not as_search(catalogs).drafts:
        return []
    return [
        (
            where,
            f"target '{target.id}' is sent {len(lacking)} string(s) the {locale} catalog cannot write on the day, "
            f"marked as drafts in this rehearsal: {_named(lacking)}",
            f"translate and review them before the event (`showcaller locale check {locale}` lists them all); "
            "`serve` refuses this file until then",
        )
        for where, target, locale, lacking in _lacking(schedule, catalogs)
    ]


def _catalogs(schedule: Schedule, catalogs: Catalogs) -> Iterator[Finding]:
    """Drafts never reach a live channel: a target whose locale's catalog lacks (or has only as a
    fuzzy draft) a string this event would send it is refused, naming the strings (unless the
    search allows drafts: a rehearsal's preview, warned by `catalog_warnings`); so is a reminder
    without a message in the locale of a target it goes to."""
    from schedules.audience import target_reader, translated
    from schedules.model import CueKind
    from schedules.timeline import targets_for

    found = [] if as_search(catalogs).drafts else _lacking(schedule, catalogs)
    refused = {id(t): (where, locale, strings) for where, t, locale, strings in found}
    for target in schedule.targets:
        reader = target_reader(schedule, target)
        if reader.english:
            continue
        if id(target) in refused:
            where, locale, lacking = refused[id(target)]
            yield (
                where,
                f"target '{target.id}' would be sent {len(lacking)} string(s) the {locale} catalog "
                f"cannot write (a draft is never sent): {_named(lacking)}",
                f"translate and review them (`showcaller locale check {locale}` lists them all), "
                "or remove this target's locale",
            )
        for j, spec in enumerate(schedule.cues):
            sent = target.id in targets_for(schedule, CueKind.reminder, spec.segment, spec.targets)
            if sent and translated(spec.message, spec.messages, reader) is spec.message:
                yield (
                    ("cues", j, "message"),
                    f"reminder '{spec.id}' goes to target '{target.id}' ({reader.locale}) but has no message "
                    f"in {reader.locale}",
                    f"add messages: {{{reader.locale}: ...}} to this cue, or leave the target out of its targets",
                )


APP_KINDS = ("slack", "discord", "zoom_chat")


def _chat_ids(schedule: Schedule) -> Iterator[Finding]:
    """A chat user id names one person: a click acts as them, so two would be a guess."""
    seen: dict[tuple[str, str], str] = {}
    for i, person in enumerate(schedule.people):
        if person.chat_ids is None:
            continue
        for platform, user in person.chat_ids.model_dump(exclude_none=True).items():
            earlier = seen.setdefault((platform, user), person.id)
            if earlier != person.id:
                yield (
                    ("people", i, "chat_ids", platform),
                    f"{platform} id '{user}' is already {earlier}'s",
                    "give each person their own chat id",
                )


def _app_mode(i: int, target: Target) -> Iterator[Finding]:
    """A target in mode app posts as the team's chat app and answers its button clicks: it needs the
    app's credentials by variable name (docs/notifications.md, "Native buttons")."""
    if target.mode != "app":
        for name in ("channel", "allow"):
            if getattr(target, name):
                yield (
                    ("targets", i, name),
                    f"{name} is for a target in mode app (native chat buttons)",
                    f"add mode: app (slack or discord), or remove {name}",
                )
        return
    if target.kind not in APP_KINDS:
        yield (
            ("targets", i, "mode"),
            f"a {target.kind} target cannot post as an app (mode app is for slack, discord and zoom_chat)",
            "remove mode: app; the target keeps single-use link buttons",
        )
        return
    needs: tuple[tuple[str, str | None, str], ...]
    if target.kind == "slack":
        needs = (
            ("channel", target.channel, "add channel: C0123ABCD (the channel's ID: channel name → About)"),
            ("token_env", target.token_env, "add token_env: NAME_OF_THE_VARIABLE holding the bot token (xoxb-…)"),
            ("secret_env", target.secret_env, "add secret_env: NAME_OF_THE_VARIABLE holding the signing secret"),
        )
    elif target.kind == "discord":
        needs = (
            (
                "secret_env",
                target.secret_env,
                "add secret_env: NAME_OF_THE_VARIABLE holding the application's public key",
            ),
        )
    else:
        needs = (
            (
                "secret_env",
                target.secret_env,
                "add secret_env: NAME_OF_THE_VARIABLE holding the chatbot's secret token",
            ),
        )
    for name, value, fix in needs:
        if not value:
            yield (("targets", i), f"a {target.kind} target in mode app needs {name}", fix)
    if target.kind != "slack" and target.channel:
        yield (
            ("targets", i, "channel"),
            f"a {target.kind} target posts through its webhook's channel; it takes no channel",
            "remove channel",
        )


def _unknown_zone(name: str) -> tuple[str, str]:
    hint = did_you_mean(name, time_zones())
    return f"unknown time zone '{name}'", f"{hint}use an IANA name such as Asia/Bangkok, Europe/Paris or UTC"


def _times(schedule: Schedule) -> Iterator[Finding]:
    planned = planned_segments(schedule)
    for before, after in zip(planned, planned[1:], strict=False):
        if after.start < before.start:
            yield (
                ("segments", after.index, "start"),
                f"'{after.id}' starts at {_hm(schedule, after.start)}, "
                f"before '{before.id}' ({_hm(schedule, before.start)}), which comes earlier in the file",
                f"move '{after.id}' above '{before.id}': write segments in time order",
            )
    for p in planned:
        if p.end <= p.start:
            yield (
                ("segments", p.index, "end"),
                f"ends at or before it starts ({_hm(schedule, p.end)} <= {_hm(schedule, p.start)})",
                "set end after start, or use duration",
            )
    ordered = sorted((p for p in planned if p.end > p.start), key=lambda p: p.start)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.start < before.end:
            yield (
                ("segments", after.index, "start"),
                f"overlaps '{before.id}', which runs until {_hm(schedule, before.end)}",
                f"start at {_hm(schedule, before.end)} or later",
            )
    opens, closes = event_window(schedule)
    for p in planned:
        if p.start < opens or p.end > closes:
            yield (
                ("segments", p.index, "start" if p.start < opens else "end"),
                f"outside the event ({_hm(schedule, opens)}-{_hm(schedule, closes)})",
                "move the segment inside event.start/event.end or widen them",
            )
    for p, seg in zip(planned, schedule.segments, strict=True):
        if seg.respondents and p.end > p.start:
            need = timedelta(minutes=seg.respondents.total_minutes())
            if need > p.duration:
                yield (
                    ("segments", p.index, "respondents"),
                    f"{seg.respondents.summary()} = "
                    f"{need.total_seconds() / 60:g} min of respondents "
                    f"do not fit in a {p.duration.total_seconds() / 60:g} min segment",
                    "lengthen the segment or reduce count/minutes",
                )
        yield from _duration_bounds(seg, p.index, p.duration)
    starts = {p.id: p for p in planned}
    for i, cue in enumerate(schedule.cues):
        if cue.at is not None:
            when = to_utc(schedule, cue.at)
            if not opens - timedelta(hours=24) <= when <= closes:
                yield (
                    ("cues", i, "at"),
                    f"{_hm(schedule, when)} is outside the event",
                    "use a time between a day before the start and the end",
                )
        elif cue.segment in starts:
            base = starts[cue.segment].start if cue.anchor == "start" else starts[cue.segment].end
            when = base + cue.offset
            if not opens - timedelta(hours=24) <= when <= closes:
                shown = _hm(schedule, when) if abs(when - opens) < timedelta(hours=24) else str(when.date())
                yield (
                    ("cues", i, "offset"),
                    f"{format_duration(cue.offset)} from the {cue.anchor.value} of "
                    f"'{cue.segment}' lands at {shown}, outside the event ({_hm(schedule, opens)}-"
                    f"{_hm(schedule, closes)})",
                    "use an offset that lands between a day before the start and the end",
                )


def _duration_bounds(seg, index: int, planned: timedelta):
    """A flexible segment's min_duration <= its planned length <= its max_duration (the early/late
    budget in schedules/plan.py), and the bounds only on a flexible segment, where they mean something."""
    low, high = seg.min_duration, seg.max_duration
    length = format_duration(planned)
    for field, bound in (("min_duration", low), ("max_duration", high)):
        if bound is not None and not seg.flexible:
            yield (
                ("segments", index, field),
                f"{field} is set but the segment is not flexible, so it never changes length",
                f"add flexible: true, or remove {field}",
            )
    if low is not None and high is not None and low > high:
        yield (
            ("segments", index, "min_duration"),
            f"min_duration {format_duration(low)} is longer than max_duration {format_duration(high)}",
            "make min_duration at most max_duration",
        )
    elif low is not None and low > planned:
        yield (
            ("segments", index, "min_duration"),
            f"min_duration {format_duration(low)} is longer than the segment ({length})",
            f"make it at most {length}, or lengthen the segment",
        )
    elif high is not None and high < planned:
        yield (
            ("segments", index, "max_duration"),
            f"max_duration {format_duration(high)} is shorter than the segment ({length})",
            f"make it at least {length}, or shorten the segment",
        )


def _hm(schedule: Schedule, moment) -> str:
    """HH:MM in the event's zone, with the offset when that wall time happens twice that day."""
    return wall(moment, zone(schedule.event.timezone))  # type: ignore[arg-type]  # an unknown zone stops the rules earlier
