"""Application errors and the one place they become JSON HTTP responses: {"error", "reason"}."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from schedules.problems import ScheduleError


class AppError(Exception):
    """An error with an HTTP status, a stable code and a reason a person can act on."""

    status = 400
    code = "bad_request"

    def __init__(self, reason: str, **details):
        super().__init__(reason)
        self.reason, self.details = reason, details


class NotFound(AppError):
    status, code = 404, "not_found"


class Conflict(AppError):
    status, code = 409, "conflict"


class Invalid(AppError):
    status, code = 422, "invalid_request"


class NotRecorded(AppError):
    """The store refused a change: nothing was recorded (503 when unavailable, 422 for refused data)."""

    status, code = 503, "not_recorded"

    def __init__(self, reason: str, status: int | None = None, **details):
        super().__init__(f"the action was not recorded: {reason}", **details)
        if status is not None:
            self.status = status


class NotYetLoaded(AppError):
    """The event is stored but start-up has not loaded it yet: try again in a moment (Retry-After)."""

    status, code = 503, "loading"
    retry_after = 1


class UnknownEvent(NotFound, LookupError):
    """No event with that id is loaded."""

    def __init__(self, event_id: str):
        super().__init__(f"no event '{event_id}' is loaded")


class EventLoading(NotYetLoaded, LookupError):
    """The event is stored but start-up has not loaded it yet (503 with Retry-After)."""

    def __init__(self, event_id: str, loaded: int, total: int):
        super().__init__(
            f"event '{event_id}' is still loading after a restart ({loaded} of {total} events in memory); "
            "try again in a moment",
            loaded=loaded,
            total=total,
        )


class PublicUrlUnset(AppError):
    """Presenter links need SHOWCALLER_PUBLIC_URL (or `serve --local`)."""

    status, code = 409, "public_url_unset"


class Unauthorized(AppError):
    status, code = 401, "unauthorized"


class Forbidden(AppError):
    status, code = 403, "forbidden"


# Errors of one transport, here with the rest so every error and its status is in one place.


class ZoomFailed(AppError):
    """Zoom refused a set-up call (`/api/events/{id}/zoom/...`)."""

    status, code = 502, "zoom_error"


class PreflightFailed(AppError):
    """A Zoom apply stopped by its preflight, before anything was written to Zoom."""

    status, code = 409, "preflight_failed"


class PdfUnavailable(AppError):
    """The attendance PDF cannot be printed here (no PDF engine)."""

    status, code = 503, "pdf_unavailable"


class ZoomUnavailable(AppError):
    """Zoom could not be asked for the attendance data."""

    status, code = 502, "zoom_error"


class WebhookUnauthorized(AppError):
    """A Zoom webhook whose signature does not verify."""

    status, code = 401, "webhook_rejected"


class ChatCallbackRejected(AppError):
    """A chat tool's button callback whose signature, timestamp or app does not verify: nothing is done."""

    status, code = 401, "callback_rejected"


class ChatCallbackInvalid(AppError):
    """A verified chat callback that is not a button press this service answers."""

    status, code = 400, "invalid_callback"


class InvalidWebhook(AppError):
    """A Zoom webhook body that is not a webhook."""

    status, code = 400, "invalid_webhook"


class InboxUnavailable(AppError):
    """Not stored, so not acknowledged: Zoom retries a 5xx later."""

    status, code = 503, "inbox_unavailable"


class TooManyStreams(AppError):
    """The public stream is at capacity; clients fall back to polling the agenda."""

    status, code = 503, "too_many_streams"


def _json(status: int, code: str, reason: str, headers: dict | None = None, **details) -> JSONResponse:
    return JSONResponse({"error": code, "reason": reason, **details}, status_code=status, headers=headers)


def error_body(exc: AppError) -> dict:
    """The JSON body of an application error (also what an idempotent retry replays)."""
    return {"error": exc.code, "reason": exc.reason, **exc.details}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into the same JSON shape."""

    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        retry_after = getattr(exc, "retry_after", None)  # errors that expect a retry carry it
        if retry_after is not None:
            headers = {"Retry-After": str(retry_after)}
        return _json(exc.status, exc.code, exc.reason, headers, **exc.details)

    @app.exception_handler(ScheduleError)
    async def _schedule_error(_: Request, exc: ScheduleError):
        problems = [
            {
                "file": p.file,
                "line": p.line,
                "column": p.column,
                "path": p.render().split(": ")[1],
                "message": p.message,
                "fix": p.fix,
            }
            for p in exc.problems
        ]
        return _json(422, "invalid_schedule", f"{len(problems)} problem(s) in the schedule", problems=problems)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError):
        details = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        first = details[0] if details else {"field": "", "message": "invalid request"}
        return _json(422, "invalid_request", f"{first['field']}: {first['message']}", details=details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _json(exc.status_code, code, str(exc.detail))
