"""The access log never carries a token, ticket or access_token, however a client spells the parameter."""

from __future__ import annotations

import logging
import os

import httpx
import pytest

from app.core.logs import RedactSecrets, redact
from app.store.db import migrate
from tests.conftest import MEKONG
from tests.engine.helpers import ServiceProcess

SECRET = "sc_s3cret"

# (what a client sent, what the log says)
REDACTED = [
    ("/s?token=sc_s3cret", "/s?token=[redacted]"),
    ("/s?TOKEN=sc_s3cret", "/s?TOKEN=[redacted]"),
    ("/s?Ticket=sc_s3cret", "/s?Ticket=[redacted]"),
    ("/s?access_token=sc_s3cret", "/s?access_token=[redacted]"),
    ("/s?ACCESS_Token=sc_s3cret", "/s?ACCESS_Token=[redacted]"),
    ("/s?%74oken=sc_s3cret", "/s?%74oken=[redacted]"),
    ("/s?%54OKEN=sc_s3cret", "/s?%54OKEN=[redacted]"),
    ("/s?%74%6F%6B%65%6E=sc_s3cret", "/s?%74%6F%6B%65%6E=[redacted]"),
    ("/s?tick%65t=sc_s3cret", "/s?tick%65t=[redacted]"),
    ("/s?access%5Ftoken=sc_s3cret", "/s?access%5Ftoken=[redacted]"),
    ("/s?%2574oken=sc_s3cret", "/s?%2574oken=[redacted]"),  # double-encoded: redacted as well
    ("/s?token+=sc_s3cret", "/s?token+=[redacted]"),  # `+` is a space; padding does not hide it
    ("/s?+ticket=sc_s3cret", "/s?+ticket=[redacted]"),
    ("/s?a=1&token=sc_s3cret&b=2", "/s?a=1&token=[redacted]&b=2"),
    ("/s?a=1;token=sc_s3cret;b=2", "/s?a=1;token=[redacted];b=2"),
    ("/s;token=sc_s3cret", "/s;token=[redacted]"),
    ("/s%3Btoken%3Dsc_s3cret", "/s%3B[redacted]"),  # a path's `;` as uvicorn logs it (re-quoted)
    ("/s?token%3Dsc_s3cret", "/s?[redacted]"),  # the `=` encoded: the secret is in the name
    ("/s?token=", "/s?token=[redacted]"),
    ("/s?token=sc_s3cret?x=1&b=2", "/s?token=[redacted]&b=2"),  # `?` does not end a value
    ("/s?token=sc_%26s3cret&b=2", "/s?token=[redacted]&b=2"),
    ("/s?a=b?ticket=sc_s3cret", "/s?a=b?ticket=[redacted]"),
    ("/s?token=sc_s3cret#frag", "/s?token=[redacted]"),
    ('GET /s?ticket=sc_s3cret HTTP/1.1" 200', 'GET /s?ticket=[redacted] HTTP/1.1" 200'),
    ("a /s?token=sc_s3cret\tb", "a /s?token=[redacted]\tb"),
]

KEPT = [
    "/s?tokens=sc_s3cret",
    "/s?mytoken=sc_s3cret",
    "/s?token_id=sc_s3cret",
    "/s?x=token&q=ticket",
    "/s?token",
    "/api/events/e/stage/links/token",
    "Q&A at 14:00; tickets sold",
]


@pytest.mark.parametrize(("sent", "logged"), REDACTED)
def test_every_spelling_of_a_secret_parameter_is_redacted(sent, logged):
    assert redact(sent) == logged
    assert SECRET.removeprefix("sc_") not in redact(sent)


@pytest.mark.parametrize("text", KEPT)
def test_other_parameters_and_text_are_kept(text):
    assert redact(text) == text


def test_the_filter_redacts_uvicorns_access_line():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/s?a=1;%74oken=sc_s3cret&x=2", "1.1", 200),
        None,
    )
    RedactSecrets().filter(record)
    assert record.getMessage() == '127.0.0.1:5 - "GET /s?a=1;%74oken=[redacted]&x=2 HTTP/1.1" 200'


@pytest.mark.timeout(180)
async def test_a_served_process_logs_no_hand_made_spelling_of_a_secret(tmp_path):
    """The real access log of `serve`: every hand-made spelling reaches uvicorn's log redacted."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'logs.db'}"
    await migrate(database_url)
    path = tmp_path / "mekong.yaml"
    path.write_text(MEKONG.read_text())
    log = tmp_path / "service.log"
    service = ServiceProcess(path, database_url, {"SHOWCALLER_LOG_LEVEL": "INFO"}, log)
    sent = [
        "/api/events?%74oken=SECRETA1",
        "/api/events?%54OKEN=SECRETB2",
        "/api/events?a=1;token=SECRETC3",
        "/api/events;ticket=SECRETD4",
        "/api/events?x=1&access%5Ftoken=SECRETE5",
        "/api/events?tick%65t=SECRETF6&y=2",
    ]
    try:
        await service.start()
        await service.wait_healthy(60)
        async with httpx.AsyncClient(base_url=service.base, timeout=10) as client:
            for url in sent:
                await client.get(url)  # refused (no bearer token); what matters is the log line
    finally:
        if service.proc is not None and service.proc.returncode is None:
            os.kill(service.proc.pid, 15)
            await service.proc.wait()
    lines = log.read_text().splitlines()
    access = [line for line in lines if "GET /api/events" in line]
    assert len(access) == len(sent), lines  # the access log is on and has each request
    assert sum("[redacted]" in line for line in access) == len(sent), access
    assert [line for line in lines if "SECRET" in line] == []
