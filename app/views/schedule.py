"""Plain-data views of a schedule and its timeline, shared by the CLI, the REST API and reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.views.segments import plan_people, segment_view
from app.views.times import iso_local, iso_utc
from schedules.clock import change_between, describe_change, utc_offset
from schedules.model import Schedule, Segment
from schedules.resolve import zone
from schedules.roster import panelist_refs
from schedules.rules import email_of
from schedules.timeline import Timeline


def segment_people(schedule: Schedule, seg: Segment) -> str:
    """Short one-line summary of who is on stage in a segment."""
    names = lambda ids: ", ".join(p.name for i in ids if (p := schedule.person(i)))  # noqa: E731
    parts = []
    if seg.speakers:
        parts.append(names(seg.speakers))
    if seg.respondents:
        r = seg.respondents
        parts.append(
            f"+ {r.count} respondents x {r.minutes:g} min"
            if r.summary().startswith(f"{r.count} x")
            else f"+ {r.count} respondents ({r.summary()})"
        )
    return " ".join(parts)


def segment_json(schedule: Schedule, timeline: Timeline, zone_name: str) -> list[dict[str, Any]]:
    """Every segment with planned and projected times, UTC and local (the plan's tier: people by id)."""
    out = []
    for row in timeline.segments:
        seg = schedule.segments[row.index]
        out.append(
            {
                **segment_view(schedule, row, plan_people, slots=True),
                "start_local": iso_local(row.start, zone_name),
                "end_local": iso_local(row.end, zone_name),
                "duration_seconds": int(row.duration.total_seconds()),
                "clock_change": clock_change_json(row.start, row.end, zone_name),
                "skipped": row.skipped,
                "flexible": seg.flexible,
                "description": seg.description,
            }
        )
    return out


def clock_change_json(start: datetime, end: datetime, zone_name: str) -> dict[str, str] | None:
    """The clock change inside a segment, in the shown zone: when, the offsets, and a sentence."""
    found = change_between(zone(zone_name), start, end)  # type: ignore[arg-type]  # validated schedule: known zone
    if found is None:
        return None
    at, before, after = found
    return {
        "at": iso_utc(at),
        "from": utc_offset(before),
        "to": utc_offset(after),
        "text": describe_change(at, before, after),
    }


def cue_json(cue, zone_name: str) -> dict[str, Any]:
    """One cue as JSON."""
    return {
        "id": cue.id,
        "at": iso_utc(cue.at),
        "at_local": iso_local(cue.at, zone_name),
        "kind": cue.kind.value,
        "segment": cue.segment,
        "title": cue.title,
        "message": cue.message,
        "targets": list(cue.targets),
        "held": cue.held,
        "severity": cue.severity,
    }


def plan_json(schedule: Schedule, timeline: Timeline, zone_name: str) -> dict[str, Any]:
    """The whole plan: event, segments and cues."""
    event = schedule.event
    return {
        "event": {
            "id": event.id,
            "title": event.title,
            "timezone": event.timezone,
            "language": event.language,
            "date": event.date.isoformat(),
        },
        "timezone": zone_name,
        "segments": segment_json(schedule, timeline, zone_name),
        "cues": [cue_json(c, zone_name) for c in timeline.cues],
        "targets": [{"id": t.id, "kind": t.kind.value, "hosts": t.hosts} for t in schedule.targets],
        "panelists": panelists_json(schedule),
    }


def panelists_json(schedule: Schedule) -> list[dict[str, Any]]:
    """A webinar's panelists (roles: [panelist] plus zoom.panelists); empty for a meeting."""
    if schedule.zoom.kind != "webinar":
        return []
    out = []
    for _, ref in panelist_refs(schedule):
        person = schedule.person(ref)
        out.append(
            {
                "id": person.id if person else None,
                "name": person.name if person else ref,
                "email": email_of(schedule, ref),
            }
        )
    return out
