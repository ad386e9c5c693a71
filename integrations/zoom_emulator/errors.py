"""Zoom-shaped error answers raised inside emulator routes."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse


class EmuError(Exception):
    """An error answer: HTTP status plus Zoom's {code, message[, errors]} body."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body Zoom would send."""
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            out["errors"] = self.errors
        return out


def validation_failed(*fields: str) -> EmuError:
    """400/300 "Validation Failed." listing the offending fields."""
    return EmuError(
        400,
        300,
        "Validation Failed.",
        errors=[{"field": f, "message": "Invalid field."} for f in fields],
    )


def meeting_not_found(ref: object, kind: str = "meeting") -> EmuError:
    """404/3001 for an unknown meeting or webinar."""
    noun = "Meeting" if kind == "meeting" else "Webinar"
    return EmuError(404, 3001, f"{noun} does not exist: {ref}.")


async def emu_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """Render an EmuError as Zoom does."""
    assert isinstance(exc, EmuError)
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)
