"""`showcaller doctor`, `POST /api/events/{id}/doctor`, and apply running the doctor first."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from typer.testing import CliRunner

import app.cli.zoom_cmds  # noqa: F401  (registers doctor/apply/status, as app.cli.main does)
from app.cli import app as cli
from app.core.config import Settings, get_settings
from app.engine.clock import ManualClock
from app.zoom.service import DoctorFailed, ZoomSetup
from integrations.zoom import ZoomClient, url_validation_response
from integrations.zoom_emulator import create_emulator
from tests.conftest import MEKONG, ROOT
from tests.fixtures.service import Runtime
from tests.zoom.test_doctor import KHMER, OUTSIDE

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def sandbox_cli(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("SHOWCALLER_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SHOWCALLER_SANDBOX_STATE_PATH", str(tmp_path / "zoom.json"))
    for name in ("ACCOUNT_ID", "CLIENT_ID", "CLIENT_SECRET", "WEBHOOK_SECRET_TOKEN"):
        monkeypatch.delenv(f"SHOWCALLER_ZOOM_{name}", raising=False)
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(cli, list(args))
    get_settings.cache_clear()


def test_cli_doctor_exit_codes_and_fixes(sandbox_cli) -> None:
    ok = sandbox_cli("doctor", str(MEKONG.relative_to(ROOT)))
    assert ok.exit_code == 0, ok.output
    assert "0 failed" in ok.output and "sandbox" in ok.output
    outside = sandbox_cli("doctor", str(OUTSIDE.relative_to(ROOT)))
    assert outside.exit_code == 1 and "co-host" in outside.output and "partner.example.net" in outside.output
    khmer = sandbox_cli("doctor", str(KHMER.relative_to(ROOT)))
    assert khmer.exit_code == 1 and "add Khmer" in khmer.output


class Probe(httpx.AsyncBaseTransport):
    """Answers the webhook URL validation the way a reachable Showcaller would."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import json

        token = json.loads(await request.aread())["payload"]["plainToken"]
        return httpx.Response(200, json=url_validation_response(self.secret, token))


async def test_apply_against_real_zoom_stops_on_a_failed_check_and_writes_nothing(tmp_path, database_url) -> None:
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        zoom_account_id="emulated-account",
        zoom_client_id="emulated-client",
        zoom_client_secret="emulated-secret",
        zoom_webhook_secret_token="whs-real",
        public_url="https://showcaller.example.org",
    )
    runtime = Runtime(settings, clock=ManualClock(NOW))
    await runtime.start(run_timer=False, run_worker=False)
    emu = create_emulator(clock=lambda: NOW, seed=1)
    zoom_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=emu), base_url="http://z")
    probe = httpx.AsyncClient(transport=Probe("whs-real"))
    try:
        client = ZoomClient(
            zoom_http,
            api_base="http://z/v2",
            oauth_base="http://z",
            account_id="emulated-account",
            client_id="emulated-client",
            client_secret="emulated-secret",
            clock=lambda: NOW,
        )
        service = ZoomSetup(runtime.db, settings, lambda: NOW, client_factory=lambda: client, http=probe)
        bad = await runtime.engine.load_schedule(OUTSIDE.read_text(), "outside.yaml")
        with pytest.raises(DoctorFailed) as info:
            await service.apply(bad)
        assert [c.name for c in info.value.report.failures] == ["alternative hosts"]
        assert not emu.state.meetings and emu.state.write_calls == 0
        good = await runtime.engine.load_schedule(MEKONG.read_text(), "mekong.yaml")
        applied = await service.apply(good)
        assert applied.doctor.ok and applied.result.created and len(emu.state.meetings) == 1
        assert [c.status for c in applied.doctor.checks if c.name == "webhook endpoint"] == ["pass"]
    finally:
        await probe.aclose()
        await zoom_http.aclose()
        await runtime.stop()


async def test_rest_doctor_for_organisers(tmp_path, database_url, service_for) -> None:
    service = await service_for(
        database_url,
        NOW,
        settings={"sandbox_state_path": str(tmp_path / "zoom.json")},
        targets_at=None,
        schedule=(KHMER.read_text(), "khmer.yaml"),
        tokens={"organiser": "org", "host": "host"},
    )
    organiser, host = service.tokens["organiser"], service.tokens["host"]
    async with service.client as client:
        url = "/api/events/mekong-skills-webinar-2022/doctor"
        denied = await client.post(url, headers={"Authorization": f"Bearer {host}"})
        assert denied.status_code == 403
        answer = await client.post(url, headers={"Authorization": f"Bearer {organiser}"})
        body = answer.json()
        assert answer.status_code == 200 and body["ok"] is False and body["sandbox"] is True
        failed = {c["name"]: c for c in body["checks"] if c["status"] == "fail"}
        assert list(failed) == ["language interpretation"] and "Khmer" in failed["language interpretation"]["fix"]
        assert {c["status"] for c in body["checks"]} == {"pass", "warn", "fail"}
        # The targets' variables are unset: a warning the week before, a failure on the day.
        assert [c["status"] for c in body["checks"] if c["name"] == "target variables"] == ["warn"]
        day = (await client.post(f"{url}?for_the_day=true", headers={"Authorization": f"Bearer {organiser}"})).json()
        assert [c["name"] for c in day["checks"] if c["status"] == "fail"] == [
            "language interpretation",
            "target variables",
        ]


async def test_apply_says_before_the_day_that_the_account_cannot_record_in_the_cloud(tmp_path, database_url) -> None:
    """Acceptance (issue 29): an account without cloud recording fails the recording check with the
    fix, and apply stops on it, writing nothing to Zoom, long before the day."""
    from tests.schedules.test_zoom_actions import with_zoom

    settings = Settings(
        _env_file=None,
        database_url=database_url,
        zoom_account_id="emulated-account",
        zoom_client_id="emulated-client",
        zoom_client_secret="emulated-secret",
        zoom_webhook_secret_token="whs-real",
        public_url="https://showcaller.example.org",
    )
    runtime = Runtime(settings, clock=ManualClock(NOW))
    await runtime.start(run_timer=False, run_worker=False)
    emu = create_emulator(clock=lambda: NOW, seed=1, cloud_recording=False)
    zoom_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=emu), base_url="http://z")
    probe = httpx.AsyncClient(transport=Probe("whs-real"))
    try:
        client = ZoomClient(
            zoom_http,
            api_base="http://z/v2",
            oauth_base="http://z",
            account_id="emulated-account",
            client_id="emulated-client",
            client_secret="emulated-secret",
            clock=lambda: NOW,
        )
        service = ZoomSetup(runtime.db, settings, lambda: NOW, client_factory=lambda: client, http=probe)
        schedule = await runtime.engine.load_schedule(with_zoom(), "mekong.yaml")
        report = await service.doctor(schedule)
        [recording] = [c for c in report.checks if c.name == "recording"]
        assert recording.status == "fail" and "zoom.recording asks for it" in recording.detail
        assert "enable cloud recording in Zoom" in recording.fix
        with pytest.raises(DoctorFailed) as info:
            await service.apply(schedule)
        assert [c.name for c in info.value.report.failures] == ["recording"]
        assert not emu.state.meetings and emu.state.write_calls == 0
    finally:
        await probe.aclose()
        await zoom_http.aclose()
        await runtime.stop()
