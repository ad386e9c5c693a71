"""The pack's figures: pure computation from the schedule, the run log, attendance and registrants.

Definitions (also in README, "The post-event pack"):
- registered: registrants Zoom lists as approved or pending (denied ones are counted apart);
- attended: registrants matched (app/report/join.py) to someone with time in the meeting;
- attendance rate: attended / registered;
- participants: everyone with time in the meeting (registered or not, speakers included);
- peak concurrent: most people in the meeting at one moment;
- median minutes: the median of each participant's minutes in the meeting (rejoins added up);
- countries represented: distinct countries among registrants who attended.

Privacy: nothing here names an attendee unless `personal` is set. Speakers, moderators and
respondents are named: they are on the published agenda. A breakdown count below `threshold`
(but above zero) is replaced by the text "< threshold", so a small group cannot be singled out.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.attendance.intervals import Attendance, Participant
from app.attendance.people import match_people
from app.report.join import Joined, join
from app.report.units import minutes
from app.store.registrants_repo import RegistrantRow
from app.views.times import iso_utc
from app.zoom.mapping import zoom_field
from schedules.adjustments import Adjustment
from schedules.i18n import ENGLISH_WORDS, N_, Phrase, phrase, say
from schedules.iso_names import country_code, country_label, country_name, language_name
from schedules.model import QuestionType, Registration, Schedule
from schedules.resolve import zone
from schedules.rundown import edit_phrase
from schedules.timeline import Timeline

DEFAULT_THRESHOLD = 5
# Standard fields that are broken down; address, phone, zip, city and comments could identify someone.
# Their titles (and NOT_ANSWERED) are translated where the pack is written (render.py).
BROKEN_DOWN = {
    "country": N_("Country or region"),
    "org": N_("Organisation"),
    "job_title": N_("Job title"),
    "industry": N_("Industry"),
    "state": N_("State or province"),
    "no_of_employees": N_("Number of employees"),
    "purchasing_time_frame": N_("Purchasing time frame"),
    "role_in_purchase_process": N_("Role in purchase process"),
}
NOT_ANSWERED = N_("(not answered)")
MATCH_ORDER = ["registrant_id", "email", "name"]


@dataclass(frozen=True)
class PackOptions:
    """How the pack is made: the small-group threshold and whether it carries personal data."""

    threshold: int = DEFAULT_THRESHOLD
    personal: bool = False


def cell(count: int, threshold: int) -> int | str:
    """A count as shown: below the threshold (and above zero) it becomes "< threshold"."""
    return f"< {threshold}" if 0 < count < threshold else count


def _country(value: str) -> str:
    """One key per country: "KH", "kh" and "Cambodia" are all KH (the code stays in JSON and CSV)."""
    return country_code(value) or value.strip()


def _form(schedule: Schedule) -> Registration | None:
    reg = schedule.zoom.registration
    return reg if isinstance(reg, Registration) else None


def _field_keys(schedule: Schedule, registrants: list[RegistrantRow]) -> list[str]:
    form = _form(schedule)
    if form is not None:
        asked = [*form.fields, *form.optional_fields]
        keys = [zoom_field(f) for f in asked]
    else:
        keys = sorted({k for r in registrants for k in r.fields})
    return [k for k in keys if k in BROKEN_DOWN]


def _questions(schedule: Schedule, registrants: list[RegistrantRow]) -> list[tuple[str, bool, list[str]]]:
    """(title, single choice?, fixed answers) of each custom question."""
    form = _form(schedule)
    if form is not None:
        return [(q.title, q.type is QuestionType.single, list(q.answers)) for q in form.questions]
    titles = list(dict.fromkeys(t for r in registrants for t in r.answers))
    return [(t, False, []) for t in titles]


def _breakdown(
    key: str,
    title: str,
    values: list[tuple[str, bool]],
    threshold: int,
    fixed: list[str] | None = None,
    label=lambda v: v,
) -> dict[str, Any]:
    """Rows of (value, registered, attended); `values` holds one (answer, attended?) per registrant."""
    counts: dict[str, list[int]] = {v: [0, 0] for v in fixed or []}
    for value, came in values:
        slot = counts.setdefault(value or NOT_ANSWERED, [0, 0])
        slot[0] += 1
        slot[1] += came
    order = sorted(counts.items(), key=lambda kv: (kv[0] == NOT_ANSWERED, -kv[1][0], kv[0]))
    if fixed:  # a question's own answers keep the order the form gives them
        order = sorted(
            counts.items(), key=lambda kv: (kv[0] == NOT_ANSWERED, kv[0] not in fixed, (fixed + [kv[0]]).index(kv[0]))
        )
    return {
        "key": key,
        "title": title,
        "rows": [
            {
                "value": value,
                "label": label(value) if value != NOT_ANSWERED else value,
                "registered": cell(reg, threshold),
                "attended": cell(came, threshold),
            }
            for value, (reg, came) in order
        ],
    }


def _segment_people(schedule: Schedule, segment_id: str) -> list[str]:
    seg = schedule.segment(segment_id)
    if seg is None:
        return []
    refs = [*seg.moderators, *seg.speakers]
    if seg.respondents:
        refs += [s.person for s in seg.respondents.slots if s.person]
    names = []
    for ref in dict.fromkeys(refs):
        person = schedule.person(ref)
        if person is not None:
            names.append(person.name)
    return names


THE_EVENT = phrase(N_("the event"))
THE_NEXT_SEGMENT = phrase(N_("the next segment"))


def _notes(schedule: Schedule, timeline: Timeline, actions: list[Adjustment]) -> list[dict[str, Any]]:
    """Delays, holds, early ends and hosts' announcements from the run log (undone actions left out).

    Each note's `text` is its English sentence (the JSON and CSV packs are data, in English); its
    `phrase` is the same sentence kept as data, so the HTML and PDF write it in the pack's locale
    (render.py). A segment's title and a host's announcement are the file's and the host's own words."""
    undone = {getattr(a, "target", None) for a in actions if a.kind == "undo"}
    titles = {s.id: s.title for s in schedule.segments}
    out = []

    def running(at: datetime, before: bool = False) -> str | None:
        # An advance ends the segment at its own instant, so the timeline (replayed with it) already
        # shows the next one from `at`: the segment that was left is the one running just before.
        for row in timeline.segments:
            inside = row.start < at <= row.end if before else row.start <= at < row.end
            if not row.skipped and inside:
                return titles.get(row.id, row.id)
        return None

    for a in actions:
        if a.seq in undone and a.seq:
            continue
        where: str | Phrase = running(a.at) or THE_EVENT
        said: Phrase
        if a.kind == "delay":
            seconds = getattr(a, "seconds", 0)
            verb = (
                N_("{where} ran late by {duration}")
                if seconds >= 0
                else N_("{where} was brought forward by {duration}")
            )
            said = phrase(verb, where=where, duration={"mmss": abs(seconds)})
        elif a.kind == "advance":
            to = getattr(a, "to", None)
            left = running(a.at, before=True)
            entered: str | Phrase = titles.get(to, to) if to else running(a.at) or THE_NEXT_SEGMENT
            if left:
                said = phrase(N_("{left} ended early; moved on to {entered}"), left=left, entered=entered)
            elif any(not row.skipped and row.end <= a.at for row in timeline.segments):
                said = phrase(N_("Moved on early to {entered}"), entered=entered)  # from a gap between segments
            else:
                said = phrase(N_("The event started early with {entered}"), entered=entered)
        elif a.kind == "hold":
            said = phrase(N_("{where} was held (no automatic advance) until resumed"), where=where)
        elif a.kind == "resume":
            said = phrase(N_("Resumed automatic timing during {where}"), where=where)
        elif a.kind == "end_event":
            said = phrase(N_("The event was ended early; the remaining segments were skipped"))
        elif edit := edit_phrase(schedule, a):  # a live rundown edit, as the undo offer words it
            said = phrase(N_("Rundown edited: {edit}"), edit={**edit, "lower": True})
        elif a.kind == "announce" and not getattr(a, "announcement_id", "").startswith("readiness-"):
            # Hosts' announcements only: readiness follow-ups are for the hosts on the day.
            said = phrase(N_("Announcement: {message}"), message=getattr(a, "message", ""))
        else:
            continue
        out.append({"at": iso_utc(a.at), "kind": a.kind, "text": say(ENGLISH_WORDS, said), "phrase": said})
    return out


def _scheduled_keys(schedule: Schedule, attendance: Attendance) -> dict[str, str]:
    return {p.key: pid for pid, parts in match_people(schedule, attendance).items() for p in parts}


def _annex(
    attendees: list[Participant],
    registrants: list[RegistrantRow],
    joined: Joined,
    now: datetime,
) -> list[dict[str, Any]]:
    owner = {p.key: rid for rid, ps in joined.by_registrant.items() for p in ps}
    by_id = {r.registrant_id: r for r in registrants}
    rows = []
    for p in attendees:
        r = by_id.get(owner.get(p.key, ""))
        rows.append(
            {
                "name": r.name if r else p.name,
                "email": (r.email if r else None) or p.email,
                "registered": r is not None,
                "matched_by": joined.how.get(p.key),
                "country": r.fields.get("country") if r else None,
                "organisation": r.fields.get("org") if r else None,
                "minutes": minutes(p.seconds(now), 1),
            }
        )
    for r in registrants:
        if not joined.by_registrant.get(r.registrant_id):
            rows.append(
                {
                    "name": r.name,
                    "email": r.email,
                    "registered": True,
                    "matched_by": None,
                    "country": r.fields.get("country"),
                    "organisation": r.fields.get("org"),
                    "minutes": 0.0,
                }
            )
    return sorted(rows, key=lambda x: (-x["minutes"], x["name"] or ""))


def build_pack(
    schedule: Schedule,
    base: dict[str, Any],
    attendance: Attendance,
    registrants: list[RegistrantRow],
    actions: list[Adjustment],
    timeline: Timeline,
    now: datetime,
    options: PackOptions = PackOptions(),
) -> dict[str, Any]:
    """The pack as plain data; `base` is the internal report (app/report/attendance.py) of the same state."""
    attendees = [p for p in attendance.participants if p.intervals and p.seconds(now) > 0]
    scheduled = _scheduled_keys(schedule, attendance)
    joined = join(registrants, attendees, set(scheduled))
    counted = [r for r in registrants if r.status in ("approved", "pending")]
    came = {rid for rid, ps in joined.by_registrant.items() if ps}
    attended = [r for r in counted if r.registrant_id in came]
    countries = {_country(r.fields["country"]) for r in attended if r.fields.get("country", "").strip()}
    host = schedule.event.host_country
    minutes = [p.seconds(now) / 60 for p in attendees]
    threshold = max(1, options.threshold)
    breakdowns = []
    for key in _field_keys(schedule, counted):
        label = country_label if key == "country" else (lambda v: v)
        shown = _country if key == "country" else (lambda v: v)
        values = [(shown(r.fields.get(key, "")), r.registrant_id in came) for r in counted]
        breakdowns.append(_breakdown(key, BROKEN_DOWN[key], values, threshold, label=label))
    short_answers = []
    for title, single, fixed in _questions(schedule, counted):
        if single:
            values = [(r.answers.get(title, ""), r.registrant_id in came) for r in counted]
            breakdowns.append(_breakdown(f"question:{title}", title, values, threshold, fixed))
        else:  # free text can name someone: only how many answered
            short_answers.append({"title": title, "answered": sum(1 for r in counted if r.answers.get(title))})
    att = base["attendance"]
    tz = zone(schedule.event.timezone)
    pack: dict[str, Any] = {
        "pack": 1,
        "event": {
            "id": schedule.event.id,
            "title": schedule.event.title,
            "date": schedule.event.date.isoformat(),
            "timezone": schedule.event.timezone,
            "host_country": host and (country_name(host) or host),
            "organisers": list(schedule.event.organisers),
            "language": language_name(schedule.event.language) if schedule.event.language else None,
        },
        "generated_at": iso_utc(now),
        "generated_local": now.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        "personal_data": options.personal,
        "small_group_threshold": threshold,
        "summary": {
            "registered": len(counted),
            "attended": len(attended),
            "attendance_rate": round(len(attended) / len(counted), 3) if counted else None,
            "no_shows": len(counted) - len(attended),
            "denied": sum(1 for r in registrants if r.status == "denied"),
            "pending": sum(1 for r in registrants if r.status == "pending"),
            "participants": len(attendees),
            "peak_concurrent": att["peak"],
            "peak_at": att["peak_at"],
            "median_minutes": round(statistics.median(minutes), 1) if minutes else 0.0,
            "countries_represented": len(countries),
            "registration": bool(schedule.zoom.registration),
        },
        "matching": {"order": MATCH_ORDER, **joined.counts()},
        "segments": [
            {
                **{k: s[k] for k in ("id", "title", "kind", "skipped", "planned_start", "planned_end", "start", "end")},
                **{k: s[k] for k in ("planned_minutes", "actual_minutes", "start_delay_seconds", "overrun_seconds")},
                "people": _segment_people(schedule, s["id"]),
                "attended": s["attended"],
                "peak": s["peak"],
            }
            for s in base["segments"]
        ],
        "series": att["series"],
        "timers": [
            {
                k: t[k]
                for k in ("label", "segment", "session", "person", "allotted_seconds", "used_seconds", "over_seconds")
            }
            for t in base["timers"]
        ],
        "breakdowns": breakdowns,
        "short_answers": short_answers,
        "notes": _notes(schedule, timeline, actions),
    }
    if options.personal:
        pack["annex"] = _annex(attendees, registrants, joined, now)
    return pack
