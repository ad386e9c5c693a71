"""`showcaller doctor`: the Zoom pre-flight plus the checks only the service can make (date, webhook)."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import httpx

from app.core.config import Settings
from integrations.zoom import MeetingSpec, sign, url_validation_response
from integrations.zoom.preflight import Check
from schedules.model import Schedule
from schedules.roster import stage_outside_panel

WEBHOOK_PATH = "/webhooks/zoom"
# Checks that matter on the day of the event, not the week before when `apply` creates the meeting
# and the registration link goes out: a warning for `apply` and a plain `doctor`, a failure for
# `doctor --for-the-day`.
DAY_CHECKS = frozenset({"webhook endpoint", "target variables"})
# Every check's name, as `--skip-check` takes it (spaces as dashes): unknown names are refused.
CHECK_NAMES = (
    "credentials-and-scopes",
    "host-user",
    "host-settings",
    "webinar-licence",
    "alternative-hosts",
    "language-interpretation",
    "breakout-pre-assignment",
    "recording",
    "registration",
    "stage-panelists",
    "event-date",
    "webhook-endpoint",
    "target-variables",
)


def slug(name: str) -> str:
    """A check's name as the command line writes it: "webhook endpoint" -> "webhook-endpoint"."""
    return name.replace(" ", "-")


def unknown_checks(names: list[str] | tuple[str, ...]) -> list[str]:
    """The names `--skip-check` was given that are no check's name."""
    return [n for n in names if slug(n.strip().lower()) not in CHECK_NAMES]


@dataclass(frozen=True)
class DoctorReport:
    """Every check, in order; `ok` when none failed (warnings allowed)."""

    checks: list[Check]
    sandbox: bool

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return all(c.status != "fail" for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        """The failed checks."""
        return [c for c in self.checks if c.status == "fail"]

    def shaped(self, *, for_the_day: bool, skip: tuple[str, ...] = ()) -> DoctorReport:
        """The report a command acts on: skipped checks left out, and day checks at most a warning
        unless `for_the_day` (the webhook and the targets need only work when the event runs)."""
        skipped = {slug(n.strip().lower()) for n in skip}
        out = []
        for c in self.checks:
            if slug(c.name) in skipped:
                continue
            if c.name in DAY_CHECKS and c.status == "fail" and not for_the_day:
                c = Check(c.name, "warn", c.detail + " (needed on the day, not before)", c.fix)
            out.append(c)
        return DoctorReport(out, self.sandbox)

    def as_json(self) -> dict:
        """The REST answer."""
        return {
            "ok": self.ok,
            "sandbox": self.sandbox,
            "checks": [
                {"name": c.name, "status": c.status, "detail": c.detail, "fix": c.fix or None} for c in self.checks
            ],
        }


def check_date(spec: MeetingSpec, now: datetime) -> Check:
    """An event in the past is only a warning: rehearsing a past event is normal."""
    name = "event date"
    if spec.start_time < now:
        return Check(
            name,
            "warn",
            f"the event started {spec.start_time:%Y-%m-%d %H:%M} UTC, in the past; Zoom will "
            "schedule the meeting for 'now'",
            "fine for a rehearsal; for the real event, correct event.date in the schedule file",
        )
    return Check(name, "pass", f"starts {spec.start_time:%Y-%m-%d %H:%M} UTC")


async def check_webhook(settings: Settings, http: httpx.AsyncClient | None, now: datetime) -> Check:
    """The webhook endpoint answers Zoom's URL validation with the configured secret."""
    name = "webhook endpoint"
    if not settings.public_url and not settings.sandbox:
        return Check(
            name,
            "fail",
            "SHOWCALLER_PUBLIC_URL is not set, so there is no address for Zoom to send events to",
            "set SHOWCALLER_PUBLIC_URL to the service's public HTTPS address (and "
            "SHOWCALLER_ZOOM_WEBHOOK_SECRET_TOKEN to the app's Secret Token)",
        )
    url = (settings.public_url or "<SHOWCALLER_PUBLIC_URL, unset>").rstrip("/") + WEBHOOK_PATH
    if settings.sandbox:
        return Check(
            name,
            "warn",
            f"sandbox: the emulator delivers events; Zoom would need to reach {url}",
            "for the real event set SHOWCALLER_PUBLIC_URL to a public HTTPS address and "
            "SHOWCALLER_ZOOM_WEBHOOK_SECRET_TOKEN to the app's Secret Token",
        )
    if settings.zoom_webhook_secret_token is None:
        return Check(
            name,
            "fail",
            "no webhook secret is configured, so Zoom's events cannot be verified",
            "set SHOWCALLER_ZOOM_WEBHOOK_SECRET_TOKEN to the Secret Token of the app's Event Subscription",
        )
    if not url.startswith("https://"):
        return Check(
            name,
            "fail",
            f"{url} is not HTTPS; Zoom delivers only to HTTPS endpoints",
            "serve Showcaller behind HTTPS and set SHOWCALLER_PUBLIC_URL to that address",
        )
    plain = secrets.token_urlsafe(16)
    body = json.dumps(
        {"payload": {"plainToken": plain}, "event_ts": int(now.timestamp() * 1000), "event": "endpoint.url_validation"},
        separators=(",", ":"),
    ).encode()
    stamp = str(int(now.timestamp()))
    headers = {
        "content-type": "application/json",
        "x-zm-request-timestamp": stamp,
        "x-zm-signature": sign(settings.webhook_secret, stamp, body),
    }
    try:
        async with contextlib_client(http) as client:
            resp = await client.post(url, content=body, headers=headers, timeout=3.0)
    except httpx.HTTPError as exc:
        return Check(
            name,
            "fail",
            f"{url} is not reachable: {type(exc).__name__}",
            "start `showcaller serve` and make SHOWCALLER_PUBLIC_URL reachable from the internet",
        )
    try:
        answer = resp.json()
    except ValueError:
        answer = None
    if resp.status_code not in (200, 204) or answer != url_validation_response(settings.webhook_secret, plain):
        return Check(
            name,
            "fail",
            f"{url} answered the URL validation with HTTP {resp.status_code} and not the expected token",
            "check that SHOWCALLER_PUBLIC_URL points at this service and that "
            "SHOWCALLER_ZOOM_WEBHOOK_SECRET_TOKEN equals the app's Secret Token",
        )
    return Check(name, "pass", f"{url} answers Zoom's URL validation with the configured secret")


def check_stage_panelists(schedule: Schedule) -> Check:
    """Everyone on a webinar's stage is a panelist (else they join as attendees: no voice, no video)."""
    name = "stage panelists"
    outside = stage_outside_panel(schedule)
    if not outside:
        return Check(
            name, "pass", "everyone on stage is a panelist" if schedule.zoom.kind == "webinar" else "a meeting"
        )
    who = ", ".join(f"{ref} ({role} in {segment})" for ref, role, segment in outside)
    refs = ", ".join(ref for ref, _, _ in outside)
    return Check(
        name,
        "warn",
        f"not panelists, so they would join the webinar as attendees: {who}",
        f"add {refs} to zoom.panelists (or give them roles: [panelist])",
    )


def check_targets(problems: dict[str, str]) -> Check:
    """Every target's variables are set, so its messages go out instead of being parked."""
    name = "target variables"
    if not problems:
        return Check(name, "pass", "every target's variables are set")
    unset = sorted({m.group(1) for p in problems.values() if (m := _UNSET.search(p))})
    other = [p for p in problems.values() if not _UNSET.search(p)]
    return Check(
        name,
        "fail",
        f"{len(problems)} target(s) cannot be used, their messages would be parked: {', '.join(sorted(problems))}"
        + (f"; not set: {', '.join(unset)}" if unset else "")
        + "".join(f"; {p}" for p in other),
        "set the variables in the environment or .env of `showcaller serve` (`showcaller config FILE` lists them)",
    )


_UNSET = re.compile(r"environment variable (\S+) is not set")


class contextlib_client:  # noqa: N801 - used as an async context manager factory
    """The given HTTP client (left open), or a short-lived one."""

    def __init__(self, http: httpx.AsyncClient | None) -> None:
        self._given = http
        self._own: httpx.AsyncClient | None = None

    async def __aenter__(self) -> httpx.AsyncClient:
        if self._given is not None:
            return self._given
        self._own = httpx.AsyncClient()
        return self._own

    async def __aexit__(self, *exc: object) -> None:
        if self._own is not None:
            await self._own.aclose()
