"""A client for a running Showcaller's REST API: what the remote CLI commands call.

Every run control is one entry in ACTIONS (method, path, how the body is built), so a new
endpoint is one line here and one small command. Errors keep the API's own `reason`.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# httpx's package imports its own command-line tool (httpx._main), and with it click, rich and
# pygments, which are installed here: a tenth of a remote command's start-up (issue 27) for a tool
# this process never runs. None in sys.modules makes that one import fail, which httpx allows for
# (its `httpx.main` then says the tool is not installed); nothing else of httpx changes.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

import httpx  # noqa: E402


def _plain_http() -> httpx.BaseTransport:
    """httpx's default transport for a plain-HTTP server, without the trust store it would load.

    Every request goes to the server's own URL (paths under it; redirects are not followed), so no
    TLS is ever negotiated on this transport, yet httpx loads certifi's certificates when it makes
    one: a tenth of a remote command's start-up (issue 27). Its TLS context here trusts no one, so
    a TLS connection could never succeed on it. A proxy from the environment keeps httpx's own
    transport and trust, and an https:// server the default transport."""
    import ssl

    return httpx.HTTPTransport(verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))


class RemoteError(Exception):
    """The API answered an error: its HTTP status, its `error` code and its `reason`."""

    def __init__(self, status: int, error: str, reason: str, body: dict | None = None):
        super().__init__(reason)
        self.status, self.error, self.reason, self.body = status, error, reason, body or {}


class Unreachable(Exception):
    """The server could not be reached at all."""


@dataclass(frozen=True)
class Action:
    """One host action: POST {path} under the event, with the body built from the command's values."""

    path: str
    body: tuple[str, ...] = ()  # names of the values that go in the JSON body (None values left out)


ACTIONS: dict[str, Action] = {
    "advance": Action("advance", ("to", "from")),
    "undo": Action("undo", ("seq",)),
    "hold": Action("hold"),
    "resume": Action("resume"),
    "delay": Action("delay", ("minutes", "seconds", "mode")),
    "end": Action("end"),
    "timer_start": Action("timers", ("segment", "slot", "person", "seconds", "label", "keep")),
    "timer_pause": Action("timers/{timer_id}/pause"),
    "timer_resume": Action("timers/{timer_id}/resume"),
    "timer_add": Action("timers/{timer_id}/add", ("seconds",)),
    "timer_stop": Action("timers/{timer_id}/stop"),
    "announce": Action("announcements", ("message", "targets")),
    "stage": Action("stage", ("message", "flash", "blackout", "until_cleared", "expires_after")),
    "stage_clear": Action("stage/clear"),
    # Live rundown edits (app/api/rundown.py).
    "insert": Action("rundown/insert", ("title", "kind", "minutes", "speakers", "before", "after")),
    "retime": Action("rundown/{segment}/retime", ("minutes",)),
    "amend": Action("rundown/{segment}/amend", ("title", "speakers")),
    "move": Action("rundown/{segment}/move", ("before", "after")),
    "remove": Action("rundown/{segment}/remove"),
}


class Remote:
    """Calls one server with one bearer token."""

    def __init__(
        self, server: str, token: str | None, *, transport: httpx.BaseTransport | None = None, timeout: float = 10.0
    ):
        self.server = server.rstrip("/")
        headers = {"authorization": f"Bearer {token}"} if token else {}
        if transport is None and httpx.URL(self.server).scheme == "http":
            transport = _plain_http()
        self.http = httpx.Client(base_url=self.server, headers=headers, timeout=timeout, transport=transport)

    def close(self) -> None:
        self.http.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict | None = None,
    ) -> Any:
        """One request; the JSON answer, or RemoteError / Unreachable."""
        try:
            answer = self.http.request(method, path, json=json_body, content=content, headers=headers, params=params)
        except httpx.HTTPError as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from None
        if answer.status_code >= 400:
            try:
                body = answer.json()
            except ValueError:
                body = {"error": "http_error", "reason": answer.text.strip()[:300] or answer.reason_phrase}
            if not isinstance(body, dict):
                body = {"error": "http_error", "reason": str(body)[:300]}
            raise RemoteError(
                answer.status_code,
                str(body.get("error", "http_error")),
                str(body.get("reason", answer.reason_phrase)),
                body,
            )
        return answer.json() if answer.content else None

    def text(self, path: str) -> str:
        """A GET whose answer is text (the exported rundown's YAML); errors as `call`."""
        try:
            answer = self.http.get(path)
        except httpx.HTTPError as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from None
        if answer.status_code >= 400:
            self.call("GET", path)  # raises the RemoteError with the API's reason
        return answer.text

    def events(self) -> list[dict]:
        return self.call("GET", "/api/events")

    def event_id(self, given: str | None) -> str:
        """The event a command is about: the one given, else the server's only event."""
        if given:
            return given
        ids = [event["id"] for event in self.events()]
        if len(ids) == 1:
            return ids[0]
        listed = ", ".join(ids) or "none"
        raise RemoteError(
            400, "which_event", f"the server runs {len(ids)} events ({listed}): give the event id as the first argument"
        )

    def act(self, event_id: str, name: str, **values: Any) -> dict:
        """Run one entry of ACTIONS on the event, under a fresh Idempotency-Key (one per command), so a
        request that is retried on the way is acted on once."""
        action = ACTIONS[name]
        path = action.path.format(**values)
        body = {key: values[key] for key in action.body if values.get(key) is not None}
        return self.call(
            "POST", f"/api/events/{event_id}/{path}", json_body=body, headers={"Idempotency-Key": f"cli-{uuid.uuid4()}"}
        )

    def stream(self, event_id: str) -> Iterator[dict]:
        """The event's server-sent states, one dict per `event: state` frame (forever)."""
        try:
            with self.http.stream("GET", f"/api/events/{event_id}/stream", timeout=httpx.Timeout(10, read=60)) as r:
                if r.status_code >= 400:
                    r.read()
                    body = r.json()
                    raise RemoteError(r.status_code, body.get("error", "http_error"), body.get("reason", ""), body)
                kind, data = None, []
                for line in r.iter_lines():
                    if line.startswith("event:"):
                        kind = line.split(":", 1)[1].strip()
                    elif line.startswith("data:"):
                        data.append(line.split(":", 1)[1].strip())
                    elif line == "":
                        if kind == "state" and data:
                            yield json.loads("\n".join(data))
                        kind, data = None, []
        except httpx.HTTPError as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from None
