"""Bring a Zoom meeting/webinar to a MeetingSpec with the fewest write calls.

`plan_changes` is pure: it compares the spec with the state read from Zoom and lists what would
change. `apply_plan` performs the plan. With nothing changed the plan is empty and applying it
makes no call at all, so re-running `apply` on an unchanged schedule never touches Zoom's
100-writes-per-host-per-day budget.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from integrations.zoom.client import PANELISTS_PER_CALL, ZoomClient
from integrations.zoom.errors import ZoomError, ZoomNotFound
from integrations.zoom.models import Panelist, ZoomMeeting
from integrations.zoom.spec import MeetingSpec, questions_body, settings_body, to_create_body, to_patch_body

Action = Literal["create", "recreate", "delete", "update", "add_panelist", "remove_panelist", "questions"]
QUESTIONS_FIELD = "registrants.questions"


@dataclass(frozen=True)
class ZoomObjectState:
    """What Zoom currently holds for one meeting/webinar (GET object + panelists + registration form)."""

    kind: Literal["meeting", "webinar"]
    meeting: ZoomMeeting
    panelists: tuple[Panelist, ...] = ()
    questions: dict[str, Any] | None = None  # read only when the spec manages the registration form


@dataclass(frozen=True)
class Change:
    """One planned change; `field` uses create-body names ("topic", "settings.waiting_room")."""

    action: Action
    field: str | None = None
    old: Any = None
    new: Any = None
    note: str = ""


@dataclass(frozen=True)
class ChangePlan:
    """The ordered changes needed to make Zoom match a spec."""

    kind: Literal["meeting", "webinar"]
    items: tuple[Change, ...]
    current: ZoomObjectState | None = None
    sends: tuple[str, ...] = ()  # for a create: every field, setting and panelist it would send

    @property
    def is_empty(self) -> bool:
        """True when Zoom already matches the spec."""
        return not self.items

    @property
    def creates(self) -> bool:
        """True when the plan makes a new meeting/webinar."""
        return any(c.action in ("create", "recreate") for c in self.items)

    @property
    def replaces(self) -> bool:
        """True when the plan deletes the existing object first (kind or host changed)."""
        return any(c.action == "delete" for c in self.items)

    @property
    def updated_fields(self) -> set[str]:
        """Field names to send in the PATCH."""
        return {c.field for c in self.items if c.action == "update" and c.field}

    def render(self) -> str:
        """A diff-like, human-readable description of the plan."""
        if self.is_empty:
            return f"= {self.kind} is up to date"
        lines = []
        for c in self.items:
            if c.action == "delete":
                lines.append(f"- delete {c.old}: {c.note}")
            elif c.action in ("create", "recreate"):
                lines.append(f"+ {c.action} {self.kind}: {c.note}")
                lines.extend(f"    {line}" for line in self.sends)
            elif c.action == "update" and isinstance(c.new, frozenset):
                lines.append(_set_diff(c.field or "", c.old or frozenset(), c.new))
            elif c.action == "update":
                lines.append(f"~ {c.field}: {c.old!r} -> {c.new!r}")
            elif c.action == "add_panelist":
                lines.append(f"+ panelist {c.new}")
            elif c.action == "questions":
                lines.append(f"~ {c.field}: {c.note}")
            else:
                lines.append(f"- panelist {c.old}")
        return "\n".join(lines)


@dataclass
class ApplyResult:
    """Outcome of `apply_plan`: identifiers and links of the object, and what it cost."""

    id: int | None
    uuid: str | None = None
    join_url: str | None = None
    start_url: str | None = None
    registration_url: str | None = None
    write_calls: int = 0
    created: bool = False
    recreated: bool = False
    notes: list[str] = field(default_factory=list)


_SPLIT = re.compile(r"[;,]")
# The set-valued fields, as people name them in a change list.
_SET_LABELS = {
    "settings.language_interpretation": "interpretation",
    "settings.alternative_hosts": "alternative hosts",
    "settings.breakout_room": "breakout rooms",
    "settings.meeting_invitees": "invitees",
}


@dataclass(frozen=True)
class Shown:
    """A set member compared by `key` (case-folded) and printed as Zoom and people write it."""

    key: Any
    text: str = field(compare=False)

    def __str__(self) -> str:
        return self.text


def _set_diff(key: str, old: frozenset, new: frozenset) -> str:
    """`interpretation: + Khmer-English (ana@example.org); - French-English (bo@example.org)`."""
    parts = [f"+ {x}" for x in sorted(map(str, new - old))] + [f"- {x}" for x in sorted(map(str, old - new))]
    return f"~ {_SET_LABELS.get(key, key)}: " + "; ".join(parts)


def _interpreting(email: str, languages: str) -> Shown:
    names = [n.strip() for n in languages.split(",") if n.strip()]
    return Shown((email.lower(), ",".join(n.lower() for n in names)), f"{'-'.join(names)} ({email})")


def _room(name: str, participants: Any) -> Shown:
    emails = _emails(participants)
    return Shown((name, emails), f"room {name!r}: {', '.join(sorted(emails)) or 'nobody pre-assigned'}")


def _emails(values: Any) -> frozenset[str]:
    return frozenset(v.strip().lower() for v in values if v and v.strip())


def _desired(spec: MeetingSpec) -> dict[str, Any]:
    """Comparable values of every managed field, keyed like the create body."""
    body = to_create_body(spec)
    out: dict[str, Any] = {
        "topic": spec.topic,
        "agenda": spec.agenda,
        "start_time": spec.start_time,
        "duration": spec.duration_minutes,
        "timezone": spec.timezone,
    }
    if "password" in body:
        out["password"] = spec.password
    s = settings_body(spec)
    managed = ("approval_type", "registration_type", "waiting_room", "mute_upon_entry")
    for key in (*managed, "join_before_host", "auto_recording"):
        if key in s:
            out[f"settings.{key}"] = s[key]
    out["settings.alternative_hosts"] = _emails(spec.alternative_hosts)
    out["settings.language_interpretation"] = frozenset(
        _interpreting(i.email, i.interpreter_languages) for i in spec.interpreters
    )
    if spec.kind == "meeting":
        out["settings.breakout_room"] = frozenset(_room(r.name, r.participants) for r in spec.breakout_rooms)
        out["settings.meeting_invitees"] = _emails(spec.meeting_invitees)
    return out


def _current(meeting: ZoomMeeting, key: str) -> Any:
    s = meeting.settings
    if key == "start_time":
        return meeting.start_time.astimezone(UTC) if meeting.start_time else None
    if key == "agenda":
        return meeting.agenda or ""
    if not key.startswith("settings."):
        return getattr(meeting, key)
    name = key.removeprefix("settings.")
    if name == "alternative_hosts":
        return _emails(_SPLIT.split(s.alternative_hosts or ""))
    if name == "language_interpretation":
        li = s.language_interpretation
        if li is None or not li.enable:
            return frozenset()
        return frozenset(_interpreting(i.email, i.interpreter_languages or "") for i in li.interpreters)
    if name == "breakout_room":
        br = s.breakout_room
        if br is None or not br.enable:
            return frozenset()
        return frozenset(_room(r.name, r.participants) for r in br.rooms)
    if name == "meeting_invitees":
        return _emails(i.email for i in s.meeting_invitees or ())
    return getattr(s, name)


def _show(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def _host_matches(spec: MeetingSpec, meeting: ZoomMeeting) -> bool:
    wanted = spec.host_user.lower()
    return wanted in {(meeting.host_id or "").lower(), (meeting.host_email or "").lower()}


def _past_start_kept(want: datetime, have: datetime | None, meeting: ZoomMeeting) -> bool:
    """Zoom stores "now" for a start time in the past: that is not drift, and a PATCH cannot fix it."""
    created = meeting.created_at.astimezone(UTC) if meeting.created_at else None
    return have is not None and created is not None and want < created and want <= have


def create_lines(spec: MeetingSpec) -> tuple[str, ...]:
    """Everything a create sends, one line each: fields, settings, interpreters, rooms, panelists."""
    body = to_create_body(spec)
    settings = dict(body.pop("settings"))
    lines = [f"{key}: {value!r}" for key, value in body.items() if key != "password"]
    if "password" in body:
        lines.append("password: (set)")
    li = settings.pop("language_interpretation")
    rooms = settings.pop("breakout_room", None)
    invitees = settings.pop("meeting_invitees", None)
    lines += [f"settings.{key}: {value!r}" for key, value in settings.items()]
    lines.append(f"settings.language_interpretation.enable: {li['enable']!r}")
    lines += [f"interpreter: {i['email']} ({i['interpreter_languages']})" for i in li["interpreters"]]
    if rooms is not None:
        lines.append(f"settings.breakout_room.enable: {rooms['enable']!r}")
        lines += [
            f"breakout room {r['name']!r}: {', '.join(r['participants']) or '(nobody pre-assigned)'}"
            for r in rooms["rooms"]
        ]
    lines += [f"invitee: {i['email']}" for i in invitees or ()]
    lines += [f"panelist: {p.name} <{p.email}>" for p in spec.panelists]
    form = questions_body(spec)
    if form is not None:
        lines.append(f"{QUESTIONS_FIELD}: {_form_summary(form)}")
    if spec.panelists:
        batches = -(-len(spec.panelists) // PANELISTS_PER_CALL)
        lines.append(f"({len(spec.panelists)} panelists, sent in {batches} call(s) of at most {PANELISTS_PER_CALL})")
    return tuple(lines)


def _form_key(body: dict[str, Any] | None) -> tuple:
    """A comparable form: standard fields as a set (Zoom orders them itself), custom questions in order."""
    body = body or {}
    fields = frozenset((q.get("field_name"), bool(q.get("required"))) for q in body.get("questions") or ())
    custom = tuple(
        (q.get("title"), q.get("type"), tuple(q.get("answers") or ()), bool(q.get("required")))
        for q in body.get("custom_questions") or ()
    )
    return fields, custom


def _form_summary(body: dict[str, Any] | None) -> str:
    body = body or {}
    fields = [q["field_name"] + ("" if q.get("required") else "?") for q in body.get("questions") or ()]
    custom = [repr(q.get("title")) for q in body.get("custom_questions") or ()]
    return f"fields [{', '.join(sorted(fields))}], questions [{', '.join(custom)}]"


def _form_diff(old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    """What differs, item by item: `+ field city; - question 'X'; ~ question 'Gender' answers [...] -> [...]`."""
    (old_fields, old_custom), (new_fields, new_custom) = _form_key(old), _form_key(new)
    parts = [f"+ field {n}{'' if r else ' (optional)'}" for n, r in sorted(new_fields - old_fields)]
    parts += [f"- field {n}" for n, r in sorted(old_fields - new_fields) if (n, not r) not in new_fields]
    before = {q[0]: q for q in old_custom}
    after = {q[0]: q for q in new_custom}
    for title, (_, kind, answers, required) in after.items():
        was = before.get(title)
        if was is None:
            parts.append(f"+ question {title!r}")
        elif was != after[title]:
            what = [
                f"{label} {a!r} -> {b!r}"
                for label, a, b in (("type", was[1], kind), ("answers", list(was[2]), list(answers)))
                if a != b
            ]
            what += [f"required {was[3]} -> {required}"] if was[3] != required else []
            parts.append(f"~ question {title!r} " + ", ".join(what))
    parts += [f"- question {t!r}" for t in before if t not in after]
    if not parts:
        parts.append("question order changed")
    return "; ".join(parts)


def plan_changes(spec: MeetingSpec, current: ZoomObjectState | None) -> ChangePlan:
    """Compare `spec` with `current` (None: nothing in Zoom) and list the needed changes."""
    summary = f"{spec.topic!r} for {spec.host_user} at {_show(spec.start_time)}"
    if current is None:
        return ChangePlan(spec.kind, (Change("create", note=summary),), None, create_lines(spec))
    if current.kind != spec.kind or not _host_matches(spec, current.meeting):
        if current.kind != spec.kind:
            why = f"zoom.kind changed from {current.kind} to {spec.kind}"
        else:
            why = f"host changed from {current.meeting.host_email or current.meeting.host_id} to {spec.host_user}"
        gone = Change("delete", old=f"{current.kind} {current.meeting.id}", note=why)
        return ChangePlan(spec.kind, (gone, Change("create", note=summary)), current, create_lines(spec))
    items: list[Change] = []
    for key, want in _desired(spec).items():
        have = _current(current.meeting, key)
        if key == "start_time" and _past_start_kept(want, have, current.meeting):
            continue
        if have != want:
            items.append(Change("update", key, _show(have), _show(want)))
    if spec.kind == "webinar":
        items.extend(_panelist_changes(spec, current.panelists))
    form = questions_body(spec)
    if form is not None and _form_key(form) != _form_key(current.questions):
        old, new = _form_summary(current.questions), _form_summary(form)
        items.append(Change("questions", QUESTIONS_FIELD, old, new, _form_diff(current.questions, form)))
    return ChangePlan(spec.kind, tuple(items), current)


def _panelist_changes(spec: MeetingSpec, existing: tuple[Panelist, ...]) -> list[Change]:
    wanted = {p.email.lower(): p.name for p in spec.panelists}
    have = {p.email.lower(): p for p in existing}
    changes = [
        Change("remove_panelist", old=f"{p.name} <{p.email}>", note=p.id or "")
        for email, p in have.items()
        if wanted.get(email) != p.name
    ]
    changes += [
        Change("add_panelist", new=f"{name} <{email}>", note=email)
        for email, name in wanted.items()
        if email not in have or have[email].name != name
    ]
    return changes


async def fetch_state(
    client: ZoomClient, kind: Literal["meeting", "webinar"], existing_id: int | str, *, questions: bool = False
) -> ZoomObjectState | None:
    """Read the current object (panelists, and the registration form if `questions`); None if gone."""
    try:
        if kind == "meeting":
            state = ZoomObjectState(kind, await client.get_meeting(existing_id))
        else:
            webinar = await client.get_webinar(existing_id)
            state = ZoomObjectState(kind, webinar, tuple(await client.list_panelists(existing_id)))
    except ZoomNotFound:
        return None
    if questions and _registration_on(state.meeting):
        form = await client.get_registrant_questions(existing_id, webinar=kind == "webinar")
        state = ZoomObjectState(state.kind, state.meeting, state.panelists, form)
    return state


def _registration_on(meeting: ZoomMeeting) -> bool:
    """Zoom keeps a form only while registration is on (approval_type 0 or 1)."""
    return meeting.settings.approval_type in (0, 1)


def _result_from(meeting: ZoomMeeting, result: ApplyResult) -> ApplyResult:
    result.id = meeting.id
    result.uuid = meeting.uuid
    result.join_url = meeting.join_url
    result.start_url = meeting.start_url
    result.registration_url = meeting.registration_url
    return result


async def _noop(*_args: object) -> None:
    return None


@dataclass
class Journal:
    """Hooks that record progress as it happens, so a failed `apply` resumes without repeats.

    `creating(spec)` runs before the create request is sent (remember the intent: if the answer
    is lost, the next run looks for the object instead of creating another). `created(meeting)`
    runs the moment Zoom answers the create, before any panelist is added: the id is never lost.
    `deleted(kind, id)` runs after a replaced object was deleted.
    """

    creating: Callable[[MeetingSpec], Awaitable[None]] = _noop
    created: Callable[[ZoomMeeting], Awaitable[None]] = _noop
    deleted: Callable[[str, int], Awaitable[None]] = _noop


class ReplaceRequired(ZoomError):
    """The plan deletes the existing object (kind or host changed) and `replace` was not given."""


def _panelist_body(spec: MeetingSpec, emails: set[str] | None = None) -> list[dict[str, str]]:
    return [{"name": p.name, "email": p.email} for p in spec.panelists if emails is None or p.email.lower() in emails]


async def _create(client: ZoomClient, spec: MeetingSpec, result: ApplyResult, journal: Journal) -> ApplyResult:
    body = to_create_body(spec)
    await journal.creating(spec)
    result.write_calls += 1  # counted when issued: a failed write may still have reached Zoom
    if spec.kind == "meeting":
        made = await client.create_meeting(spec.host_user, body)
    else:
        made = await client.create_webinar(spec.host_user, body)
    result.created = True
    _result_from(made, result)
    await journal.created(made)
    if spec.kind == "webinar" and spec.panelists:
        await _add_panelists(client, made.id, _panelist_body(spec), result)
    await _set_questions(client, spec, made.id, result)
    return result


async def _set_questions(client: ZoomClient, spec: MeetingSpec, object_id: int | str, result: ApplyResult) -> None:
    form = questions_body(spec)
    if form is None:
        return
    result.write_calls += 1
    await client.update_registrant_questions(object_id, form, webinar=spec.kind == "webinar")


async def _add_panelists(
    client: ZoomClient, webinar_id: int | str, batch: list[dict[str, str]], result: ApplyResult
) -> None:
    for start in range(0, len(batch), PANELISTS_PER_CALL):
        result.write_calls += 1
        await client.add_panelists(webinar_id, batch[start : start + PANELISTS_PER_CALL])


async def apply_plan(
    client: ZoomClient,
    spec: MeetingSpec,
    plan: ChangePlan,
    existing_id: int | str | None,
    *,
    journal: Journal | None = None,
    replace: bool = False,
) -> ApplyResult:
    """Perform `plan`, recording progress in `journal`; deleting an object needs `replace=True`.

    A 404 on a sub-resource never counts as the parent's deletion: the parent is read back first.
    """
    journal = journal or Journal()
    result = ApplyResult(id=int(existing_id) if existing_id is not None else None)
    if plan.replaces:
        gone = plan.items[0]
        if not replace:
            raise ReplaceRequired(
                f"{gone.note}: applying would delete {gone.old} (its join link stops working) and create a new "
                f"{spec.kind}; run apply again with --replace to do that"
            )
        assert plan.current is not None
        result.recreated = True
        result.notes.append(f"{gone.old} deleted and replaced: {gone.note}")
        await _delete_quietly(client, plan.current.kind, plan.current.meeting.id, result)
        await journal.deleted(plan.current.kind, plan.current.meeting.id)
        return await _create(client, spec, result, journal)
    if plan.creates:
        if existing_id is not None:
            result.recreated = True
            result.notes.append(f"{spec.kind} {existing_id} no longer exists in Zoom; recreated")
        return await _create(client, spec, result, journal)
    assert existing_id is not None, "a plan without create needs the existing id"
    try:
        await _apply_updates(client, spec, plan, existing_id, result)
    except ZoomNotFound:
        if await _exists(client, spec.kind, existing_id):
            raise
        result.recreated = True
        result.notes.append(f"{spec.kind} {existing_id} was deleted in Zoom; recreated")
        return await _create(client, spec, result, journal)
    return result


async def _exists(client: ZoomClient, kind: str, object_id: int | str) -> bool:
    try:
        await (client.get_meeting(object_id) if kind == "meeting" else client.get_webinar(object_id))
    except ZoomNotFound:
        return False
    return True


async def _apply_updates(
    client: ZoomClient,
    spec: MeetingSpec,
    plan: ChangePlan,
    existing_id: int | str,
    result: ApplyResult,
) -> None:
    if plan.updated_fields:
        body = to_patch_body(spec, plan.updated_fields)
        result.write_calls += 1  # counted when issued: a failed write still reached Zoom
        if spec.kind == "meeting":
            await client.update_meeting(existing_id, body)
        else:
            await client.update_webinar(existing_id, body)
    for change in plan.items:
        if change.action == "remove_panelist" and change.note:
            result.write_calls += 1
            try:
                await client.remove_panelist(existing_id, change.note)
            except ZoomNotFound:
                if not await _exists(client, spec.kind, existing_id):
                    raise
                # The webinar is there, the panelist is not: already removed (e.g. by a run whose answer was lost).
                result.notes.append(f"panelist {change.old} was already removed")
    adds = {c.note for c in plan.items if c.action == "add_panelist"}
    if adds:
        await _add_panelists(client, existing_id, _panelist_body(spec, adds), result)
    if any(c.action == "questions" for c in plan.items):
        await _set_questions(client, spec, existing_id, result)
    if plan.is_empty and plan.current is not None:
        _result_from(plan.current.meeting, result)
        return
    fresh = await (client.get_meeting(existing_id) if spec.kind == "meeting" else client.get_webinar(existing_id))
    _result_from(fresh, result)


async def _delete_quietly(client: ZoomClient, kind: str, existing_id: int | str, result: ApplyResult) -> None:
    try:
        result.write_calls += 1
        if kind == "meeting":
            await client.delete_meeting(existing_id)
        else:
            await client.delete_webinar(existing_id)
    except ZoomNotFound:
        pass  # already gone: the goal of the step is reached


ADOPT_SKEW = timedelta(minutes=5)


async def find_created(
    client: ZoomClient, kind: str, host: str, topic: str, since: datetime, exclude: set[int] | None = None
) -> ZoomMeeting | None:
    """The object a create with a lost answer made: same host, kind and topic, created at or after `since`.

    Zoom has no idempotency key for creates, so the host's list is the only way to find it.
    The newest match wins; ids in `exclude` (recorded for other events) are never adopted.
    """
    listing = await (client.list_meetings(host) if kind == "meeting" else client.list_webinars(host))
    floor = since.astimezone(UTC) - ADOPT_SKEW
    found = [
        m
        for m in listing
        if m.topic == topic
        and m.id not in (exclude or set())
        and m.created_at is not None
        and m.created_at.astimezone(UTC) >= floor
    ]
    return max(found, key=lambda m: m.created_at or floor, default=None)


async def converge(
    client: ZoomClient,
    spec: MeetingSpec,
    existing_id: int | str | None,
    *,
    existing_kind: Literal["meeting", "webinar"] | None = None,
    journal: Journal | None = None,
    replace: bool = False,
) -> tuple[ChangePlan, ApplyResult]:
    """Fetch current state, plan and apply in one go (the usual `apply` path).

    `existing_kind` is the kind the stored id was created as (default: the spec's kind); when
    it differs, the plan deletes the old object and creates the new one (needs `replace`).
    """
    kind = existing_kind or spec.kind
    managed = spec.registration_form is not None
    current = await fetch_state(client, kind, existing_id, questions=managed) if existing_id is not None else None
    plan = plan_changes(spec, current)
    if current is None and existing_id is not None and kind != spec.kind:
        existing_id = None  # the old object is gone already: a plain create
    return plan, await apply_plan(client, spec, plan, existing_id, journal=journal, replace=replace)
