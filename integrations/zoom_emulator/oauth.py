"""Emulated POST /oauth/token (Server-to-Server OAuth, form body or legacy query string)."""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter()


def _oauth_error(reason: str, error: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"reason": reason, "error": error}, status_code=status)


def _basic(header: str) -> tuple[str, str] | None:
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


@router.post("/oauth/token")
async def token(request: Request) -> Any:
    """Issue an access token for `grant_type=account_credentials`."""
    emu = request.app.state.emulator
    emu.state.token_requests += 1
    params = {k: v[-1] for k, v in parse_qs((await request.body()).decode(errors="replace")).items()}
    for key, value in request.query_params.items():
        params.setdefault(key, value)
    creds = _basic(request.headers.get("authorization", ""))
    if not creds or not params.get("grant_type"):
        return _oauth_error("Missing client credentials or grant type", "invalid_request")
    if creds != (emu.state.client_id, emu.state.client_secret):
        return _oauth_error("Invalid client_id or client_secret", "invalid_client")
    if params["grant_type"] != "account_credentials":
        return _oauth_error("unsupported grant type", "unsupported_grant_type")
    if params.get("account_id") != emu.state.account_id:
        return _oauth_error("Invalid request : Invalid account_id.", "invalid_request")
    value = "emu." + emu.state.ids.token(48)
    emu.state.tokens[value] = emu.clock() + timedelta(seconds=emu.token_ttl)
    return {
        "access_token": value,
        "token_type": "bearer",
        "expires_in": emu.token_ttl,
        "scope": emu.state.account.scopes,
        "api_url": str(request.base_url).rstrip("/"),
    }
