"""The Zoom meeting or webinar a schedule asks for, as a neutral MeetingSpec."""

from __future__ import annotations

from integrations.zoom import MeetingSpec
from integrations.zoom.spec import (
    BreakoutRoom,
    CustomQuestion,
    Interpreter,
    PanelistSpec,
    RegistrationForm,
    RegistrationQuestion,
)
from schedules.model import Registration, RegistrationField, Schedule
from schedules.resolve import event_window
from schedules.roster import panelist_refs
from schedules.rules import email_of


class ZoomSetupError(ValueError):
    """The schedule cannot be applied to Zoom as written (e.g. no host)."""


def _emails(schedule: Schedule, refs: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for ref in refs:
        email = email_of(schedule, ref)
        if email and email.lower() not in {e.lower() for e in out}:
            out.append(email)
    return tuple(out)


def _panelists(schedule: Schedule) -> tuple[PanelistSpec, ...]:
    zoom = schedule.zoom
    if zoom.kind != "webinar":
        return ()
    out, seen = [], set()
    for _, ref in panelist_refs(schedule):  # roles: [panelist] plus zoom.panelists (schedules/roster.py)
        person = schedule.person(ref)
        email = email_of(schedule, ref)
        if email is None or email.lower() in seen or (zoom.host and email.lower() == zoom.host.lower()):
            continue
        seen.add(email.lower())
        out.append(PanelistSpec(name=person.name if person else email.split("@")[0], email=email))
    return tuple(out)


# Schedule names that differ from Zoom's `field_name` (organisers write British English).
ZOOM_FIELD_NAMES = {RegistrationField.organisation: "org"}


def zoom_field(name: RegistrationField) -> str:
    """Zoom's field_name for a schedule's registration field."""
    return ZOOM_FIELD_NAMES.get(name, name.value)


def registration_form(registration: Registration) -> RegistrationForm:
    """The registration form a schedule's `zoom.registration` mapping asks for."""
    return RegistrationForm(
        questions=tuple(
            [RegistrationQuestion(field_name=zoom_field(f), required=True) for f in registration.fields]
            + [RegistrationQuestion(field_name=zoom_field(f), required=False) for f in registration.optional_fields]
        ),
        custom_questions=tuple(
            CustomQuestion(title=q.title, type=q.type.value, answers=tuple(q.answers), required=q.required)
            for q in registration.questions
        ),
    )


def spec_from_schedule(schedule: Schedule) -> MeetingSpec:
    """The Zoom meeting or webinar a schedule asks for."""
    zoom, event = schedule.zoom, schedule.event
    if not zoom.host:
        raise ZoomSetupError("zoom.host is not set: name the Zoom user (email) that owns the meeting")
    meeting = zoom.kind == "meeting"
    opens, closes = event_window(schedule)
    minutes = max(1, round((closes - opens).total_seconds() / 60))
    return MeetingSpec(
        kind=zoom.kind,
        host_user=zoom.host,
        topic=zoom.topic or event.title,
        agenda=zoom.agenda or "",
        start_time=opens,
        duration_minutes=minutes,
        timezone=event.timezone,
        password=zoom.password,
        auto_recording=zoom.auto_recording,
        registration=bool(zoom.registration),
        manual_approval=isinstance(zoom.registration, Registration) and zoom.registration.approval == "manual",
        registration_form=registration_form(zoom.registration) if isinstance(zoom.registration, Registration) else None,
        # Webinars have no waiting room, mute-on-entry or join-before-host: leave them unmanaged there.
        waiting_room=zoom.waiting_room if meeting else None,
        mute_upon_entry=zoom.mute_upon_entry if meeting else None,
        join_before_host=zoom.join_before_host if meeting else None,
        alternative_hosts=_emails(schedule, zoom.alternative_hosts),
        interpreters=tuple(
            Interpreter(email=email_of(schedule, i.interpreter), languages=tuple(i.languages))
            for i in zoom.interpretation
            if email_of(schedule, i.interpreter)
        ),
        breakout_rooms=tuple(
            BreakoutRoom(name=r.name, participants=_emails(schedule, r.participants)) for r in zoom.breakout_rooms
        ),
        meeting_invitees=_emails(schedule, zoom.invitees),
        panelists=_panelists(schedule),
    )


def sandbox_users(schedule: Schedule) -> tuple[str, ...]:
    """The emulated account's users: the host and the alternative hosts (Zoom wants them licensed)."""
    return tuple(e for e in (schedule.zoom.host, *_emails(schedule, schedule.zoom.alternative_hosts)) if e)
