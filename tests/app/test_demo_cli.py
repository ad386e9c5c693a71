"""`showcaller demo`: a compact transcript that ends with working commands and the console URL."""

from __future__ import annotations

import re
import shlex
import socket

from typer.testing import CliRunner

import app.cli.report_cmds  # noqa: F401  (registers the commands, as app.cli.main does)
import app.cli.run_cmds  # noqa: F401
from app.cli import app
from app.rehearsal.rehearse import shown_host
from tests.conftest import MEKONG


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_transcript_is_compact_and_its_report_command_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    port, receivers_port = _port(), _port()
    result = CliRunner().invoke(
        app,
        [
            "demo",
            str(MEKONG),
            "--speed",
            "2400",
            "--no-keep-open",
            "--port",
            str(port),
            "--receivers-port",
            str(receivers_port),
        ],
    )
    lines = result.stdout.splitlines()
    # Status 1 means some messages were not delivered: on a busy machine at 2400x that can happen,
    # and the test is about what is printed, not about this machine's speed.
    deliveries = next(line for line in lines if line.startswith("Deliveries: "))
    assert result.exit_code == (1 if ("expired" in deliveries or "parked" in deliveries) else 0), result.output
    # The agenda table, then one line per cue and one per cue's deliveries: not 1,700 lines.
    assert len(lines) < 200, len(lines)
    assert "0.0.0.0" not in result.stdout and "╭" not in result.stdout
    assert f"Local receivers: http://127.0.0.1:{receivers_port}/_received" in result.stdout
    console = lines[-1]
    assert re.fullmatch(
        rf"Console: http://127\.0\.0\.1:{port}/console/mekong-dialogue-2022  "
        r"\(sign in with host token \S+\)",
        console,
    ), console
    # The demo ends by writing the shareable post-event pack, and says where.
    pack = next(line for line in lines if line.startswith("Pack:    "))
    written = pack.removeprefix("Pack:").split(" (the post-event report")[0].strip().split(" and ")
    assert written[0].endswith("rehearsal-report.html"), pack
    html = (tmp_path / written[0]).read_text(encoding="utf-8")
    assert "Summary" in html and "registered" in html
    assert all((tmp_path / name).is_file() for name in written)
    report = next(line for line in lines if line.startswith("Report:  "))
    assert lines.index(report) > len(lines) - 5  # at the end, where it does not scroll away
    words = shlex.split(report.removeprefix("Report:  "))
    assert words[0].endswith("showcaller") and words[1] == "report"
    pasted = CliRunner().invoke(app, words[1:])
    assert pasted.exit_code == 0, pasted.output
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Mekong Dialogue on Labour Mobility" in html


def test_a_wildcard_host_is_printed_as_loopback():
    assert shown_host("0.0.0.0") == "127.0.0.1" and shown_host("::") == "127.0.0.1"
    assert shown_host("192.0.2.7") == "192.0.2.7"
