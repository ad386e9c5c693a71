"""Personal invites: the Zoom link that fits each person, their presenter link, and SEQUENCE from the store.

A presenter link is shown once, so an invite carries one only when it hands out a new link (the
person had none, or `new_links` rotates theirs); otherwise it tells them to use the link they got.

SEQUENCE is kept per person and event with a hash of what the invite says: generating the invites
again with nothing changed keeps it, and any change to the person's part (a moved session, a new
link) raises it by one, so calendars update the invite they have.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.core.public_url import required
from app.stage.links import ensure_links, rotate_link, stage_people
from app.store import invites_repo, zoom_repo
from integrations.zoom.errors import ZoomError
from schedules.i18n import N_
from schedules.invites import InvitePart, JoinLink, PresenterLink, invite_ics, invite_part
from schedules.model import Person, Schedule
from schedules.timeline import build_timeline

log = logging.getLogger("showcaller.invites")


@dataclass(frozen=True)
class Invite:
    """One person's invite, ready to send."""

    person: str
    part: InvitePart
    sequence: int
    ics: bytes

    @property
    def filename(self) -> str:
        return f"{self.person}.ics"


def join_link(schedule: Schedule, person: Person, row, personal: dict[str, JoinLink]) -> JoinLink | None:
    """Their own panelist or registrant link when Zoom has one, else the registration page or the join link.

    Never the start link: that one makes whoever opens it the host.
    """
    if row is None:
        return None
    email = (person.email or "").lower()
    if email and email in personal:
        return personal[email]
    if row.kind == "webinar" and email in _panelists(schedule):
        return None  # the attendee link would seat a panelist in the audience; Zoom emails theirs
    if schedule.zoom.registration and row.registration_url:
        return JoinLink(row.registration_url, N_("Register for Zoom (Zoom then emails you your own join link)"))
    return JoinLink(row.join_url, N_("Join Zoom")) if row.join_url else None


def _panelists(schedule: Schedule) -> set[str]:
    from app.zoom.mapping import spec_from_schedule

    return {p.email.lower() for p in spec_from_schedule(schedule).panelists}


async def personal_links(settings: Settings, schedule: Schedule, row) -> dict[str, JoinLink]:
    """Panelists' and registrants' own join links, read from Zoom (nothing is written there)."""
    if row is None:
        return {}
    from app.zoom.access import zoom_access
    from app.zoom.mapping import sandbox_users

    links: dict[str, JoinLink] = {}
    webinar = row.kind == "webinar"
    try:
        async with zoom_access(settings, sandbox_users(schedule)) as access:
            if webinar:
                for p in await access.client.list_panelists(row.zoom_id):
                    if p.join_url:
                        links[p.email.lower()] = JoinLink(p.join_url, N_("Your panelist link"))
            if schedule.zoom.registration:
                for r in await access.client.list_registrants(row.zoom_id, webinar=webinar):
                    if r.join_url and r.email:
                        links.setdefault(r.email.lower(), JoinLink(r.join_url, N_("Your registrant join link")))
    except ZoomError as exc:
        log.warning("could not read personal Zoom links (%s); invites use the shared links", exc)
    return links


async def build_invites(
    db: AsyncEngine,
    settings: Settings,
    schedule: Schedule,
    now: datetime,
    only: str | None = None,
    *,
    new_links: bool = False,
    public_url: str | None = None,
) -> list[Invite]:
    """Every named person's invite (or one person's), from the stored Zoom links and their stage links.

    `new_links` gives each invited stage person a new presenter link in their invite and revokes the old one.
    Presenter links start with `public_url` (default SHOWCALLER_PUBLIC_URL; raises PublicUrlMissing
    when neither is there)."""
    public_url = public_url or required(settings)
    event_id = schedule.event.id
    rows = build_timeline(schedule).segments  # the plan, not the live run: invites go out before the day
    catalogs = settings.catalog_search()  # the organiser's catalogs first; an invite is never a draft
    async with db.begin() as conn:
        zoom = await zoom_repo.stored(conn, event_id)
    personal = await personal_links(settings, schedule, zoom)
    people = [p for p in schedule.people if only is None or p.id == only]
    out = []
    async with db.begin() as conn:
        on_stage = {p.id for p in stage_people(schedule)}
        linked = [p for p in people if p.id in on_stage]
        if new_links:
            made = [(await rotate_link(conn, schedule, p, public_url, now))[0] for p in linked]
        else:
            made = await ensure_links(conn, schedule, public_url, now, linked)
        links = {link.person: PresenterLink(link.token_id, link.url) for link in made}
        for person in people:
            part = invite_part(
                schedule, rows, person, join_link(schedule, person, zoom, personal), links.get(person.id)
            )
            if part is None:
                continue
            sequence = await invites_repo.next_sequence(conn, event_id, person.id, part.fingerprint(), now)
            out.append(Invite(person.id, part, sequence, invite_ics(schedule, part, sequence, now, catalogs)))
    return out
