"""`doctor`: every pre-flight check passes and fails against the emulator's modelled account.

Acceptance: against the emulator in its default state the Mekong file passes, and a file with an
alternative host outside the account and a webinar with Khmer interpretation (no custom language)
fail with the fix named. Every request the doctor sends is validated against Zoom's specs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from app.core.config import Settings
from app.zoom.doctor import DoctorReport, check_date, check_webhook
from app.zoom.mapping import spec_from_schedule
from integrations.zoom import Interpreter, MeetingSpec, ZoomClient
from integrations.zoom.preflight import preflight
from integrations.zoom_emulator import create_emulator
from schedules.load import load_text
from tests.conftest import MEKONG
from tests.fixtures import asgi_client
from tests.zoom.test_contract import api_path, body_of

HERE = Path(__file__).parent / "schedules"
OUTSIDE = HERE / "alternative-host-outside-account.yaml"
KHMER = HERE / "webinar-khmer-interpretation.yaml"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
BASE = "http://zoom.doctor"


def spec_of(path: Path) -> MeetingSpec:
    return spec_from_schedule(load_text(path.read_text(), str(path)))


async def run(spec: MeetingSpec, emu=None, *, contract=None, secret: str | None = None, recording: str | None = None):
    emu = emu or create_emulator(clock=lambda: NOW, seed=2)
    pairs = []

    async def hook(response: httpx.Response) -> None:
        await response.aread()
        pairs.append((response.request, response))

    state = emu.state
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emu), base_url=BASE, event_hooks={"response": [hook]}
    ) as http:
        client = ZoomClient(
            http,
            api_base=f"{BASE}/v2",
            oauth_base=BASE,
            account_id=state.account_id,
            client_id=state.client_id,
            client_secret=secret or state.client_secret,
            clock=lambda: NOW,
        )
        checks = await preflight(client, spec, recording)
    if contract is not None:
        for request, response in pairs:
            path = api_path(request)
            if not request.url.path.startswith("/v2/"):
                continue  # the OAuth token endpoint is in no spec
            contract.validate_request(request.method, path, body_of(request.content))
            if response.is_success:  # error bodies are not modelled in Zoom's specs (SOURCE.md)
                contract.validate_response(request.method, path, response.status_code, body_of(response.content))
    return {c.name: c for c in checks}, pairs


async def test_mekong_passes_against_the_default_account(contract) -> None:
    checks, pairs = await run(spec_of(MEKONG), contract=contract)
    assert {c.status for c in checks.values()} == {"pass"}, [c for c in checks.values() if c.status != "pass"]
    assert {c.name for c in checks.values()} >= {
        "credentials and scopes",
        "host user",
        "webinar licence",
        "alternative hosts",
        "language interpretation",
        "breakout pre-assignment",
        "recording",
        "registration",
    }
    assert all(r.method == "GET" for r, _ in pairs if r.url.path.startswith("/v2/"))  # read-only


async def test_alternative_host_outside_the_account_fails_with_the_fix(contract) -> None:
    checks, _ = await run(spec_of(OUTSIDE), contract=contract)
    alt = checks["alternative hosts"]
    assert alt.status == "fail" and "geertrui.lanneau@partner.example.net" in alt.detail
    assert "co-host" in alt.fix and "add them as users" in alt.fix
    assert [c.name for c in checks.values() if c.status == "fail"] == ["alternative hosts"]


async def test_webinar_with_khmer_and_no_custom_language_fails_with_the_fix(contract) -> None:
    checks, _ = await run(spec_of(KHMER), contract=contract)
    li = checks["language interpretation"]
    assert li.status == "fail" and "Khmer" in li.detail
    assert "add Khmer" in li.fix and "custom language" in li.fix
    custom = create_emulator(clock=lambda: NOW, seed=2, custom_languages=["Khmer", "Lao"])
    fixed, _ = await run(spec_of(KHMER), custom, contract=contract)
    assert fixed["language interpretation"].status == "pass"


# --- every check, passing and failing -------------------------------------------------------------


def meeting(**kw) -> MeetingSpec:
    base = {
        "host_user": "host@example.org",
        "topic": "Doctor",
        "start_time": datetime(2030, 1, 1, 10, tzinfo=UTC),
        "duration_minutes": 60,
    }
    return MeetingSpec(**{**base, **kw})


def emu_with(change=None, **kw):
    emu = create_emulator(clock=lambda: NOW, seed=4, **kw)
    if change:
        change(emu.state)
    return emu


def _user(email, **fields):
    def change(state):
        for key, value in fields.items():
            setattr(state.users[email], key, value)

    return change


def _account(**fields):
    def change(state):
        for key, value in fields.items():
            setattr(state.account, key, value)

    return change


CASES = [
    # (check name, spec, emulator, client secret, expected status, words in the fix)
    ("credentials and scopes", meeting(), emu_with(), None, "pass", ""),
    ("credentials and scopes", meeting(), emu_with(), "wrong-secret", "fail", "Client Secret"),
    (
        "credentials and scopes",
        meeting(kind="webinar"),
        emu_with(scopes="meeting:read:admin meeting:write:admin user:read:admin"),
        None,
        "fail",
        "webinar:write",
    ),
    (
        "credentials and scopes",
        meeting(),
        emu_with(scopes="meeting:read:meeting:admin meeting:write:meeting:admin user:read:user:admin"),
        None,
        "pass",
        "",
    ),
    ("host user", meeting(), emu_with(), None, "pass", ""),
    ("host user", meeting(host_user="nobody@example.org"), emu_with(), None, "fail", "zoom.host"),
    ("host user", meeting(), emu_with(_user("host@example.org", type=1)), None, "fail", "Licensed"),
    ("host user", meeting(), emu_with(_user("host@example.org", status="inactive")), None, "fail", "activate"),
    ("webinar licence", meeting(kind="webinar"), emu_with(), None, "pass", ""),
    (
        "webinar licence",
        meeting(kind="webinar"),
        emu_with(_user("host@example.org", webinar=False)),
        None,
        "fail",
        "Webinar licence",
    ),
    ("alternative hosts", meeting(alternative_hosts=("pinsuda.alexander@example.org",)), emu_with(), None, "pass", ""),
    (
        "alternative hosts",
        meeting(alternative_hosts=("guest@elsewhere.example.net",)),
        emu_with(),
        None,
        "fail",
        "co-host",
    ),
    (
        "alternative hosts",
        meeting(alternative_hosts=("pinsuda.alexander@example.org",)),
        emu_with(_user("pinsuda.alexander@example.org", type=1)),
        None,
        "fail",
        "Licensed",
    ),
    (
        "language interpretation",
        meeting(interpreters=(Interpreter(email="i@example.org", languages=("English", "French")),)),
        emu_with(),
        None,
        "pass",
        "",
    ),
    (
        "language interpretation",
        meeting(interpreters=(Interpreter(email="i@example.org", languages=("English", "French")),)),
        emu_with(interpretation_enabled=False),
        None,
        "fail",
        "Language interpretation",
    ),
    (
        "language interpretation",
        meeting(interpreters=(Interpreter(email="i@example.org", languages=("Lao", "English")),)),
        emu_with(),
        None,
        "fail",
        "add Lao",
    ),
    (
        "language interpretation",
        meeting(interpreters=(Interpreter(email="i@example.org", languages=("Lao", "English")),)),
        emu_with(custom_languages=["Lao"]),
        None,
        "pass",
        "",
    ),
    (
        "breakout pre-assignment",
        meeting(breakout_rooms=({"name": "A", "participants": ("a@example.org",)},)),
        emu_with(),
        None,
        "pass",
        "",
    ),
    (
        "breakout pre-assignment",
        meeting(breakout_rooms=({"name": "A", "participants": ("a@example.org",)},)),
        emu_with(breakout_pre_assign=False),
        None,
        "fail",
        "when scheduling",
    ),
    (
        "breakout pre-assignment",
        meeting(breakout_rooms=({"name": "A", "participants": ("a@example.org",)},)),
        emu_with(_account(breakout_room=False)),
        None,
        "fail",
        "Breakout room",
    ),
    ("recording", meeting(auto_recording="cloud"), emu_with(), None, "pass", ""),
    ("recording", meeting(auto_recording="cloud"), emu_with(cloud_recording=False), None, "fail", "cloud recording"),
    (
        "recording",
        meeting(auto_recording="local"),
        emu_with(_account(local_recording=False)),
        None,
        "fail",
        "local recording",
    ),
    ("registration", meeting(registration=True), emu_with(), None, "pass", ""),
    (
        "registration",
        meeting(registration=True),
        emu_with(_user("host@example.org", type=1)),
        None,
        "fail",
        "zoom.registration",
    ),
]


@pytest.mark.parametrize(
    ("name", "spec", "emu", "secret", "status", "fix"), CASES, ids=[f"{c[0]}-{c[4]}-{i}" for i, c in enumerate(CASES)]
)
async def test_each_check_passes_and_fails(name, spec, emu, secret, status, fix, contract) -> None:
    checks, _ = await run(spec, emu, contract=contract, secret=secret)
    check = checks[name]
    assert check.status == status, check
    assert fix in check.fix
    if status == "fail":
        assert check.fix, "a failure must say what to change"


def test_event_date_in_the_past_is_a_warning() -> None:
    assert check_date(meeting(), NOW).status == "pass"
    past = check_date(spec_of(MEKONG), NOW)
    assert past.status == "warn" and "rehearsal" in past.fix


async def test_webhook_check_sandbox_warns_real_checks_secret_https_and_the_answer(tmp_path) -> None:
    from app.main import create_app
    from tests.fixtures.service import Runtime

    sandbox = await check_webhook(Settings(_env_file=None), None, NOW)
    assert sandbox.status == "warn" and "sandbox" in sandbox.detail
    real = {"zoom_account_id": "a", "zoom_client_id": "c", "zoom_client_secret": "s"}
    unset = await check_webhook(Settings(_env_file=None, zoom_webhook_secret_token="whs-1", **real), None, NOW)
    assert unset.status == "fail" and "SHOWCALLER_PUBLIC_URL is not set" in unset.detail
    local = {"public_url": "http://127.0.0.1:8000"}
    no_secret = await check_webhook(Settings(_env_file=None, **real, **local), None, NOW)
    assert no_secret.status == "fail" and "SHOWCALLER_ZOOM_WEBHOOK_SECRET_TOKEN" in no_secret.fix
    plain_http = await check_webhook(
        Settings(_env_file=None, zoom_webhook_secret_token="whs-1", **real, **local), None, NOW
    )
    assert plain_http.status == "fail" and "HTTPS" in plain_http.detail
    settings = Settings(
        _env_file=None,
        zoom_webhook_secret_token="whs-1",
        public_url="https://showcaller.test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hook.db'}",
        **real,
    )
    from app.engine.clock import ManualClock

    runtime = Runtime(settings, clock=ManualClock(NOW))
    await runtime.start(run_timer=False, run_worker=False)
    try:
        app = create_app(settings, services=runtime.services)
        async with asgi_client(app, "https://showcaller.test") as h:
            ok = await check_webhook(settings, h, NOW)
            assert ok.status == "pass", ok
            other = Settings(
                _env_file=None, zoom_webhook_secret_token="another", public_url="https://showcaller.test", **real
            )
            wrong = await check_webhook(other, h, NOW)
            assert wrong.status == "fail" and "Secret Token" in wrong.fix

        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused", request=request)

        async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as down:
            unreachable = await check_webhook(settings, down, NOW)
        assert unreachable.status == "fail" and "not reachable" in unreachable.detail
    finally:
        await runtime.stop()


def test_report_ok_allows_warnings_only() -> None:
    from integrations.zoom.preflight import Check

    assert DoctorReport([Check("a", "pass", ""), Check("b", "warn", "", "x")], True).ok
    failing = DoctorReport([Check("a", "fail", "bad", "fix it")], False)
    assert not failing.ok and failing.as_json()["checks"][0]["fix"] == "fix it"


async def test_a_host_not_in_the_account_is_the_only_failure_read_from_it(contract) -> None:
    # Webinar licence, interpretation, rooms, recording and registration come from the host's
    # settings: with no such host they were never read, so they are not reported as failures.
    spec = meeting(
        host_user="nobody@example.org",
        kind="webinar",
        registration=True,
        auto_recording="cloud",
        interpreters=(Interpreter(email="ana@example.org", languages=("Khmer", "English")),),
    )
    checks, _ = await run(spec, contract=contract)
    assert [c.name for c in checks.values() if c.status == "fail"] == ["host user"]
    assert "nobody@example.org is not a user" in checks["host user"].detail
    assert not {"webinar licence", "language interpretation", "recording", "registration"} & set(checks)


def test_day_checks_warn_the_week_before_fail_for_the_day_and_skip_by_name() -> None:
    from integrations.zoom.preflight import Check

    report = DoctorReport(
        [
            Check("host user", "pass", "ok"),
            Check("webhook endpoint", "fail", "https://x/webhooks/zoom is not reachable: ConnectError", "start serve"),
            Check("target variables", "fail", "1 target(s) cannot be used", "set them"),
        ],
        sandbox=False,
    )
    before = report.shaped(for_the_day=False)
    assert before.ok and [c.status for c in before.checks] == ["pass", "warn", "warn"]
    assert "needed on the day" in before.checks[1].detail
    day = report.shaped(for_the_day=True)
    assert [c.name for c in day.failures] == ["webhook endpoint", "target variables"]
    skipped = report.shaped(for_the_day=True, skip=("webhook-endpoint",))
    assert [c.name for c in skipped.failures] == ["target variables"]
    assert report.shaped(for_the_day=True, skip=("webhook-endpoint", "target-variables")).ok


def test_a_webinar_speaker_left_out_of_the_panel_is_a_warning_naming_them_and_the_fix() -> None:
    from app.zoom.doctor import check_stage_panelists

    text = KHMER.read_text()
    assert check_stage_panelists(load_text(text, "k.yaml")).status == "pass"
    left_out = text.replace("panelists: [somchai-phan, dara-keo, noy-vongsa, lina-marsh]", "panelists: [somchai-phan]")
    left_out = left_out.replace("roles: [speaker, panelist]", "roles: [speaker]")
    check = check_stage_panelists(load_text(left_out, "k.yaml"))
    assert check.status == "warn"
    assert "dara-keo (speaker in session-1), lina-marsh (speaker in session-1)" in check.detail
    assert "attendees" in check.detail
    assert check.fix == "add dara-keo, lina-marsh to zoom.panelists (or give them roles: [panelist])"


@pytest.mark.parametrize(
    ("mode", "emu", "status", "words"),
    [
        ("cloud", emu_with(), "pass", "cloud (zoom.recording)"),
        ("cloud", emu_with(cloud_recording=False), "fail", "change zoom.recording"),
        ("cloud", emu_with(_user("host@example.org", type=1)), "fail", "set zoom.recording.mode: local"),
        ("local", emu_with(_account(local_recording=False)), "fail", "enable local recording"),
        ("local", emu_with(_user("host@example.org", type=1)), "pass", "local (zoom.recording)"),
    ],
    ids=["cloud-pass", "cloud-no-licence", "cloud-basic-host", "local-off", "local-basic-host"],
)
async def test_the_recording_the_schedule_starts_on_cue_is_checked(mode, emu, status, words, contract) -> None:
    """zoom.recording (auto_recording none): the recording check reads the host's recording
    settings and, for the cloud, that the host is Licensed (issue 29)."""
    checks, _ = await run(meeting(auto_recording="none"), emu, contract=contract, recording=mode)
    check = checks["recording"]
    assert check.status == status, check
    assert words in (check.fix if status == "fail" else check.detail), check
