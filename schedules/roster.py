"""Who plays which Zoom part, defined once for validation, `plan` and `apply`."""

from __future__ import annotations

from schedules.model import Role, Schedule
from schedules.problems import Path


def panelist_refs(schedule: Schedule) -> list[tuple[Path, str]]:
    """A webinar's panelists, once each, with where the file names them.

    The panelists are everyone with `roles: [panelist]` plus everyone in `zoom.panelists`; when
    neither names anyone, everyone on stage (moderators, speakers, named respondents).
    """
    named: list[tuple[Path, str]] = []
    for i, person in enumerate(schedule.people):
        if Role.panelist in person.roles:
            named.append((("people", i, "roles", person.roles.index(Role.panelist)), person.id))
    for j, ref in enumerate(schedule.zoom.panelists or []):
        named.append((("zoom", "panelists", j), ref))
    if not named and schedule.zoom.panelists is None:
        for i, seg in enumerate(schedule.segments):
            for field in ("moderators", "speakers"):
                named += [(("segments", i, field, j), ref) for j, ref in enumerate(getattr(seg, field))]
            for j, slot in enumerate(seg.respondents.slots if seg.respondents else []):
                if slot.person:
                    named.append((("segments", i, "respondents", "slots", j, "person"), slot.person))
    seen: set[str] = set()
    out = []
    for path, ref in named:
        if ref not in seen:
            seen.add(ref)
            out.append((path, ref))
    return out


def stage_outside_panel(schedule: Schedule) -> list[tuple[str, str, str]]:
    """A webinar's moderators, speakers and named respondents who are not panelists, once each,
    as (person, role, segment id): on the day they would join as attendees, unable to speak or
    share. Empty for a meeting, or when the panel defaults to everyone on stage."""
    if schedule.zoom.kind != "webinar":
        return []
    panel = {ref for _, ref in panelist_refs(schedule)}
    out: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for seg in schedule.segments:
        parts = [(ref, "moderator") for ref in seg.moderators] + [(ref, "speaker") for ref in seg.speakers]
        parts += [(s.person, "respondent") for s in (seg.respondents.slots if seg.respondents else []) if s.person]
        for ref, role in parts:
            if ref not in panel and ref not in seen:
                seen.add(ref)
                out.append((ref, role, seg.id))
    return out
