"""Personal presenter links: one stage token per person and event, kept so the link can be shown again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.vocabulary import HostRole
from app.store import tokens_repo
from schedules.model import Person, Schedule
from schedules.stage import person_slots
from schedules.timeline import build_timeline


@dataclass(frozen=True)
class StageLink:
    """A person's presenter link."""

    person: str
    name: str
    token_id: str
    url: str
    created: bool


def stage_people(schedule: Schedule) -> list[Person]:
    """Everyone who takes the stage: moderators, speakers and named respondents, in agenda order."""
    rows = build_timeline(schedule).segments
    return [p for p in schedule.people if person_slots(schedule, rows, p.id)]


def link_url(public_url: str, event_id: str, person: str, token: str) -> str:
    """The presenter URL; the token rides in the fragment, which browsers never send to a server or a log."""
    return f"{public_url.rstrip('/')}/stage/{quote(event_id)}?person={quote(person)}#token={token}"


async def ensure_links(
    conn: AsyncConnection, schedule: Schedule, public_url: str, now: datetime, people: list[Person] | None = None
) -> list[StageLink]:
    """Each stage person's active link, creating the missing ones."""
    event_id = schedule.event.id
    existing = await tokens_repo.stage_links(conn, event_id)
    out = []
    for person in stage_people(schedule) if people is None else people:
        row = existing.get(person.id)
        if row is not None and row.link_token:
            out.append(
                StageLink(
                    person.id, person.name, row.id, link_url(public_url, event_id, person.id, row.link_token), False
                )
            )
            continue
        token_id, token = await tokens_repo.create_token(
            conn, f"stage: {person.name}", HostRole.STAGE, now, event_id=event_id, person=person.id
        )
        out.append(StageLink(person.id, person.name, token_id, link_url(public_url, event_id, person.id, token), True))
    return out
