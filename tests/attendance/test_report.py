"""GET /attendance (console contract), GET /report in three formats, and `showcaller report`."""

from __future__ import annotations

import asyncio
import csv
import io
import json

from typer.testing import CliRunner

import app.cli.report_cmds  # noqa: F401  (registers the command)
import app.cli.schedule_cmds  # noqa: F401  (with a second command typer keeps subcommands)
from app.cli import app as cli
from integrations.zoom_emulator.payloads import Person
from schedules.adjustments import TimerStart, TimerStop
from tests.attendance.conftest import EVENT
from tests.conftest import MEKONG, bangkok

NILIM = Person("Nilim Baruah", "nilim.baruah@example.org", "G-N")
GUEST = Person("Guest (Lao PDR)", "", "G-G")


async def _afternoon(h):
    await h.post(h.lifecycle("started", bangkok(13, 30)))
    await h.post(h.join(NILIM, "1", bangkok(14, 0)))
    await h.post(h.join(GUEST, "2", bangkok(14, 10)))
    await h.post(h.join(GUEST, "2", bangkok(14, 20), what="participant_left"))
    h.clock.set(bangkok(14, 30))
    await h.runtime.engine.act(
        EVENT,
        lambda at: TimerStart(at, timer_id="r1", seconds=180, label="Respondent 1", segment="session-1", slot=1),
    )
    h.clock.set(bangkok(14, 34))
    await h.runtime.engine.act(EVENT, lambda at: TimerStop(at, timer_id="r1"))
    await h.runtime.attendance.drain()


async def test_attendance_contract(harness, viewer_token):
    h = harness
    await _afternoon(h)
    auth = {"authorization": f"Bearer {viewer_token}"}
    assert (await h.client.get(f"/api/events/{EVENT}/attendance")).status_code == 401
    body = (await h.client.get(f"/api/events/{EVENT}/attendance", headers=auth)).json()
    assert set(body) == {"present", "peak", "total_unique", "people", "readiness"}
    assert (body["present"], body["peak"], body["total_unique"]) == (1, 2, 2)
    nilim = next(p for p in body["people"] if p["id"] == "nilim-baruah")
    assert nilim == {
        "id": "nilim-baruah",
        "name": "Nilim Baruah",
        "roles": ["speaker"],
        "present": True,
        "since": "2022-05-30T07:00:00Z",
    }
    assert all(set(p) == {"id", "name", "roles", "present", "since"} for p in body["people"])
    readiness = body["readiness"]
    assert set(readiness) == {"segment", "title", "starts_at", "checks_at", "open", "missing", "present"}
    assert readiness["segment"] == "discussion-1" and readiness["starts_at"] == "2022-05-30T07:45:00Z"
    # The readiness check (readiness.before: 10m) is at 14:35; the missing are listed, not yet due.
    assert (readiness["checks_at"], readiness["open"]) == ("2022-05-30T07:35:00Z", False)
    assert {
        "id": "pinsuda-alexander",
        "name": "Pinsuda Alexander",
        "role": "moderator",
    } in readiness["missing"]
    assert (await h.client.get("/api/events/nope/attendance", headers=auth)).status_code == 404


async def test_report_formats(harness, viewer_token):
    h = harness
    await _afternoon(h)
    auth = {"authorization": f"Bearer {viewer_token}"}
    report = (await h.client.get(f"/api/events/{EVENT}/report", headers=auth)).json()
    [timer] = report["timers"]
    # Time-up at 14:33; the timer showed OVER for the 30 s grace and stopped by itself at 14:33:30,
    # before the host's Stop at 14:34.
    assert (timer["allotted_seconds"], timer["used_seconds"], timer["over_seconds"]) == (
        180,
        210,
        30,
    )
    session1 = next(s for s in report["segments"] if s["id"] == "session-1")
    assert session1["attended"] == 2 and session1["peak"] == 2 and session1["overrun_seconds"] == 0
    assert {
        "id": "nilim-baruah",
        "name": "Nilim Baruah",
        "role": "speaker",
        "minutes": 19.0,
    } in session1["expected"]
    guest = next(p for p in report["participants"] if p["name"] == "Guest (Lao PDR)")
    assert guest["total_minutes"] == 10.0 and guest["segments"]["session-1"] == 5.0
    assert report["attendance"]["series"][:2] == [
        ["2022-05-30T07:00:00Z", 1],
        ["2022-05-30T07:10:00Z", 2],
    ]

    csv_text = (await h.client.get(f"/api/events/{EVENT}/report?format=csv", headers=auth)).text
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert {r["name"]: r["total_minutes"] for r in rows} == {
        "Nilim Baruah": "34.0",
        "Guest (Lao PDR)": "10.0",
    }
    assert rows[0]["person_id"] in ("nilim-baruah", "")

    page = await h.client.get(f"/api/events/{EVENT}/report?format=html", headers=auth)
    assert page.headers["content-type"].startswith("text/html")
    assert "<svg" in page.text and "<script" not in page.text and "http://" not in page.text.split("<svg")[0]
    assert "Respondent 1" in page.text and "Guest (Lao PDR)" in page.text
    bad = await h.client.get(f"/api/events/{EVENT}/report?format=pdf", headers=auth)
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_request"
    # The page in French on request (issue 30); a locale no catalog writes is refused with the reason.
    french = await h.client.get(f"/api/events/{EVENT}/report?format=html&lang=fr", headers=auth)
    assert french.status_code == 200 and '<html lang="fr">' in french.text and "<h2>Minuteurs</h2>" in french.text
    assert "<h2>Timers</h2>" in page.text and '<html lang="en">' in page.text
    german = await h.client.get(f"/api/events/{EVENT}/report?format=html&lang=de", headers=auth)
    assert german.status_code == 422 and "no catalog writes the pack in 'de'" in german.json()["reason"]


async def test_cli_report_reads_the_database(harness, database_url, tmp_path):
    await _afternoon(harness)
    out = tmp_path / "report.json"
    # The command runs its own event loop, as from a shell: give it a thread.
    result = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["report", str(MEKONG), "--internal", "--format", "json", "--database-url", database_url, "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["event"]["id"] == EVENT and report["attendance"]["total_unique"] == 2
    assert report["timers"][0]["over_seconds"] == 30  # stopped by itself 30 s after time-up
    html = await asyncio.to_thread(CliRunner().invoke, cli, ["report", str(MEKONG), "--database-url", database_url])
    assert html.exit_code == 0 and "<svg" in html.output
