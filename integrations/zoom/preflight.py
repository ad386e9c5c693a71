"""Read-only pre-flight checks: what the real Zoom would refuse or silently drop for a MeetingSpec.

Each check reads Zoom (token answer, GET /users/{userId}, GET /users/{userId}/settings) and
returns pass, warn or fail with what to change in Zoom or in the schedule. Sources for every
check are listed in docs/zoom.md ("Pre-flight checks").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from integrations.zoom.client import ZoomClient
from integrations.zoom.errors import ZoomAuthError, ZoomNotFound, ZoomValidationError
from integrations.zoom.models import ZoomUser
from integrations.zoom.spec import MeetingSpec

Status = Literal["pass", "warn", "fail"]
LICENSED = 2
# Zoom's system-supported interpretation languages (users spec), used when settings omit the list.
SYSTEM_LANGUAGES = ("English", "Chinese", "Japanese", "German", "French", "Russian", "Portuguese", "Spanish", "Korean")
_USER_TYPES = {1: "Basic", 2: "Licensed", 4: "Unassigned without Meetings Basic", 99: "None"}


@dataclass(frozen=True)
class Check:
    """One pre-flight result: `fix` says what to change when it is not a pass."""

    name: str
    status: Status
    detail: str
    fix: str = ""


def needed_scopes(spec: MeetingSpec) -> dict[str, str]:
    """Scope families the app needs for `spec` (a classic `x:y:admin` or any granular `x:y:…` satisfies one)."""
    need = {
        "user:read": "look up the host and alternative hosts",
        "meeting:read": "read the meeting and its past participants",
        "meeting:write": "create and update the meeting",
    }
    if spec.kind == "webinar":
        need |= {
            "webinar:read": "read the webinar and its panelists",
            "webinar:write": "create the webinar and add panelists",
        }
    return need


def _has_scope(granted: set[str], family: str) -> bool:
    return any(s == family or s.startswith(family + ":") for s in granted)


async def check_credentials(client: ZoomClient, spec: MeetingSpec) -> Check:
    """The S2S credentials get a token, and the token's scopes cover what apply does."""
    name = "credentials and scopes"
    try:
        await client.tokens.token()
    except ZoomAuthError as exc:
        return Check(
            name,
            "fail",
            f"Zoom refused the credentials: {exc.message}",
            "check the Account ID, Client ID and Client Secret of the Server-to-Server OAuth app "
            "(SHOWCALLER_ZOOM_*) and that the app is activated",
        )
    token = client.tokens.current
    granted = set((token.scope if token else "").split())
    missing = [f for f in needed_scopes(spec) if not _has_scope(granted, f)]
    if missing:
        wanted = ", ".join(f"{f}:admin" for f in missing)
        return Check(
            name,
            "fail",
            f"the token lacks {', '.join(missing)} scopes",
            f"add the scopes {wanted} to the app in the Zoom App Marketplace (Scopes page)",
        )
    return Check(name, "pass", f"token granted; {len(granted)} scopes cover {', '.join(needed_scopes(spec))}")


async def _user(client: ZoomClient, ref: str) -> ZoomUser | None:
    try:
        return await client.get_user(ref)
    except ZoomNotFound:
        return None


def _type(user: ZoomUser) -> str:
    return _USER_TYPES.get(user.type or 0, f"type {user.type}")


async def check_host(client: ZoomClient, spec: MeetingSpec) -> tuple[Check, ZoomUser | None]:
    """The host is an active, Licensed user of the account."""
    name = "host user"
    user = await _user(client, spec.host_user)
    if user is None:
        return Check(
            name,
            "fail",
            f"{spec.host_user} is not a user in this Zoom account",
            "set zoom.host to a user of the account, or add them in Zoom (User Management > Users)",
        ), None
    if (user.status or "active") != "active":
        return Check(
            name,
            "fail",
            f"{spec.host_user} is {user.status}",
            "activate the user in Zoom (User Management > Users) or choose another zoom.host",
        ), user
    if user.type != LICENSED:
        return Check(
            name,
            "fail",
            f"{spec.host_user} has a {_type(user)} licence: meetings end after 40 minutes, "
            "with no registration, cloud recording or alternative hosts",
            "assign the host a Licensed type in Zoom (User Management > Users > Edit)",
        ), user
    return Check(name, "pass", f"{spec.host_user}: active, Licensed"), user


def check_webinar_licence(spec: MeetingSpec, settings: dict[str, Any]) -> Check:
    """A webinar needs a Webinar licence (add-on) assigned to the host."""
    name = "webinar licence"
    if spec.kind != "webinar":
        return Check(name, "pass", "not needed (a meeting)")
    if (settings.get("feature") or {}).get("webinar"):
        return Check(name, "pass", f"{spec.host_user} has a Webinar licence")
    return Check(
        name,
        "fail",
        f"{spec.host_user} has no Webinar licence (Zoom answers 'Webinar plan is missing')",
        "assign a Webinar licence to the host (User Management > Users > Edit > Webinar), or set zoom.kind: meeting",
    )


async def check_alternative_hosts(client: ZoomClient, spec: MeetingSpec) -> Check:
    """Every alternative host is a Licensed user on the host's account."""
    name = "alternative hosts"
    if not spec.alternative_hosts:
        return Check(name, "pass", "none named")
    outside, unlicensed = [], []
    for email in spec.alternative_hosts:
        user = await _user(client, email)
        if user is None:
            outside.append(email)
        elif user.type != LICENSED:
            unlicensed.append(f"{email} ({_type(user)})")
    if outside:
        return Check(
            name,
            "fail",
            f"not users on the account: {', '.join(outside)}; Zoom refuses alternative "
            "hosts from outside the host's account",
            "add them as users in Zoom, or remove them from zoom.alternative_hosts and make them "
            "co-hosts during the meeting (Participants > More > Make co-host)",
        )
    if unlicensed:
        return Check(
            name,
            "fail",
            f"alternative hosts must be Licensed: {', '.join(unlicensed)}",
            "assign them a Licensed type in Zoom, or make them co-hosts during the meeting instead",
        )
    return Check(name, "pass", f"{len(spec.alternative_hosts)} Licensed users on the account")


def check_interpretation(spec: MeetingSpec, settings: dict[str, Any]) -> Check:
    """Interpretation is enabled and every language is a system language or an added custom one."""
    name = "language interpretation"
    if not spec.interpreters:
        return Check(name, "pass", "not used")
    li = (settings.get("in_meeting") or {}).get("language_interpretation") or {}
    if not li.get("enable"):
        return Check(
            name,
            "fail",
            "language interpretation is off for the host (Zoom would silently drop the interpreters)",
            "turn on Settings > Meeting > In Meeting (Advanced) > Language interpretation in Zoom",
        )
    known = {x.lower() for x in (li.get("languages") or SYSTEM_LANGUAGES)}
    known |= {x.lower() for x in li.get("custom_languages") or ()}
    wanted = dict.fromkeys(lang for i in spec.interpreters for lang in i.languages)
    missing = [lang for lang in wanted if lang.lower() not in known]
    if missing:
        names = ", ".join(missing)
        return Check(
            name,
            "fail",
            f"not available in the account: {names} (neither a system language nor an added custom language)",
            f"add {names} as custom language(s) in Zoom (Settings > Meeting > In Meeting (Advanced) > "
            "Language interpretation > Add language), or change the language in zoom.interpretation",
        )
    return Check(name, "pass", f"enabled; {', '.join(wanted)} available")


def check_breakout(spec: MeetingSpec, settings: dict[str, Any]) -> Check:
    """Pre-assigned breakout rooms need breakout rooms and assignment when scheduling enabled."""
    name = "breakout pre-assignment"
    if not spec.breakout_rooms:
        return Check(name, "pass", "not used")
    im = settings.get("in_meeting") or {}
    if not im.get("breakout_room"):
        return Check(
            name,
            "fail",
            "breakout rooms are off for the host",
            "turn on Settings > Meeting > In Meeting (Advanced) > Breakout room in Zoom",
        )
    if not im.get("breakout_room_schedule"):
        return Check(
            name,
            "fail",
            "the host may not assign participants to breakout rooms when scheduling",
            "tick 'Allow host to assign participants to breakout rooms when scheduling' under "
            "Settings > Meeting > Breakout room in Zoom",
        )
    return Check(name, "pass", f"enabled; {len(spec.breakout_rooms)} rooms")


def check_recording(
    spec: MeetingSpec, settings: dict[str, Any], controlled: str | None = None, host: ZoomUser | None = None
) -> Check:
    """The recording asked for is available to the host: the automatic one, and the one the schedule
    starts and stops on cue (`controlled`: zoom.recording's mode), which for the cloud also needs a
    Licensed host (Zoom answers recording.start of a Basic host with "No permission")."""
    name = "recording"
    wanted: list[tuple[str, str]] = []
    if spec.auto_recording not in (None, "none"):
        wanted.append((str(spec.auto_recording), "zoom.auto_recording"))
    if controlled is not None:
        wanted.append((controlled, "zoom.recording"))
    if not wanted:
        return Check(name, "pass", "no recording")
    rec = settings.get("recording") or {}
    for mode, field in wanted:
        key = "cloud_recording" if mode == "cloud" else "local_recording"
        if field == "zoom.recording" and mode == "cloud" and host is not None and host.type != LICENSED:
            return Check(
                name,
                "fail",
                f"the host {spec.host_user} is not Licensed, so Zoom refuses to start its cloud recording",
                "make the host a Licensed user in Zoom, or set zoom.recording.mode: local",
            )
        if not rec.get(key):
            return Check(
                name,
                "fail",
                f"{mode} recording is not available to the host, and {field} asks for it",
                f"enable {key.replace('_', ' ')} in Zoom (Settings > Recording; cloud needs a Pro or higher "
                f"licence), or change {field}"
                + (" (mode: local, and the hosts are reminded to record)" if field == "zoom.recording" else ""),
            )
    shown = " and ".join(f"{mode} ({field})" for mode, field in wanted)
    return Check(name, "pass", f"{shown} recording available")


def check_registration(spec: MeetingSpec, host: ZoomUser | None) -> Check:
    """Registration needs a Licensed host."""
    name = "registration"
    if not spec.registration:
        return Check(name, "pass", "not used")
    if host is not None and host.type == LICENSED:
        return Check(name, "pass", "available (Licensed host)")
    return Check(
        name,
        "fail",
        "registration needs a Licensed host",
        "assign the host a Licensed type in Zoom, or set zoom.registration: false",
    )


async def preflight(client: ZoomClient, spec: MeetingSpec, recording: str | None = None) -> list[Check]:
    """Every Zoom-side check for `spec`, read-only, in a fixed order; `recording`: the mode of the
    recording the schedule starts and stops on cue (zoom.recording), if any."""
    checks = [await check_credentials(client, spec)]
    if checks[0].status == "fail":
        return checks  # nothing else can be read without a token
    host_check, host = await check_host(client, spec)
    checks.append(host_check)
    settings: dict[str, Any] | None = None
    if host is not None:
        try:
            settings = await client.get_user_settings(spec.host_user)
        except ZoomNotFound:
            settings = None
        except (ZoomAuthError, ZoomValidationError) as exc:
            checks.append(
                Check(
                    "host settings",
                    "fail",
                    f"cannot read the host's settings: {exc.message}",
                    "give the app the user:read:admin scope",
                )
            )
    if settings is None:
        # Licence, interpretation, rooms and recording are read from the host's settings: with no
        # host (or no settings) they were never read, so they are not reported as failures.
        checks.append(await check_alternative_hosts(client, spec))
        return checks
    checks.append(check_webinar_licence(spec, settings))
    checks.append(await check_alternative_hosts(client, spec))
    checks.append(check_interpretation(spec, settings))
    checks.append(check_breakout(spec, settings))
    checks.append(check_recording(spec, settings, recording, host))
    checks.append(check_registration(spec, host))
    return checks
