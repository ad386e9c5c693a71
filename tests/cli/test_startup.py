"""Commands start at once: `showcaller --version` and the remote commands a host types during a show
import only their own module, never SQLAlchemy, the report or the Zoom client (each run of the CLI
used to import every command module: about a second before anything happened); a remote command
imports neither pydantic nor, before its request, rich or click (issue 27)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.cli import COMMAND_MODULES, command_name
from tests.fixtures import ROOT

HEAVY = ("sqlalchemy", "app.report", "integrations.zoom", "app.zoom", "fastapi", "schedules.model")
# Not before a remote command's request: typer's coercion (pydantic, app/cli/plain_values.py), the
# settings, the consoles (rich, made when printing) and httpx's own command line (click, rich, pygments).
BEFORE_THE_REQUEST = (*HEAVY, "pydantic", "pydantic_settings", "app.core.config", "rich", "click", "pygments")


def _run(code: str) -> object:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_table_names_every_command_where_it_is_defined():
    """COMMAND_MODULES is what the modules register: a new command missing from it would not run."""
    found = _run(
        "import importlib, json\n"
        "from app.cli import app, COMMAND_MODULES\n"
        "from typer.main import get_command_name\n"
        "seen, out = set(), {}\n"
        "for module in sorted(set(COMMAND_MODULES.values())):\n"
        "    importlib.import_module('app.cli.' + module)\n"
        "    names = {c.name or get_command_name(c.callback.__name__) for c in app.registered_commands}\n"
        "    names |= {g.name for g in app.registered_groups}\n"
        "    out.update(dict.fromkeys(names - seen, module)); seen |= names\n"
        "print(json.dumps(out))"
    )
    assert found == COMMAND_MODULES


@pytest.mark.parametrize(
    ("argv", "modules"),
    [
        (["--version"], []),
        (["state", "mekong"], ["remote_cmds"]),
        (["--server", "http://h", "--token", "t", "advance", "mekong"], ["remote_cmds"]),
        (["watch", "mekong"], ["remote_cmds"]),
        (["rundown", "insert", "--minutes", "5", "--before", "session-2"], ["rundown_cmds"]),
    ],
)
def test_a_command_line_imports_only_what_it_runs(argv, modules):
    loaded = _run(
        "import json, sys\n"
        "from app.cli import load_commands\n"
        f"modules = load_commands({argv!r})\n"
        f"print(json.dumps([modules, sorted(m for m in {HEAVY!r} if m in sys.modules)]))"
    )
    assert loaded == [modules, []]


@pytest.mark.parametrize(
    "argv",
    [
        ["state", "--help"],  # click's help ends in an exit the command group inspects
        ["--server", "http://127.0.0.1:9", "--token", "t", "state", "mekong"],  # fails: nothing listens there
    ],
)
def test_a_remote_command_that_exits_early_or_fails_imports_nothing_heavy(argv):
    """Asking whether an exit is a database or a settings error must not import SQLAlchemy or
    pydantic to ask."""
    loaded = _run(
        "import contextlib, io, json, sys\n"
        f"sys.argv = ['showcaller', *{argv!r}]\n"
        "from app.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        "    with contextlib.suppress(SystemExit):\n"
        "        main()\n"
        f"print(json.dumps(sorted(m for m in {(*HEAVY, 'pydantic', 'app.core.config')!r} if m in sys.modules)))"
    )
    assert loaded == []


@pytest.mark.parametrize(
    ("given", "reads_settings"),
    [
        (["--server", "http://127.0.0.1:9", "--token", "t"], False),
        (["--server", "http://127.0.0.1:9"], True),  # the token from SHOWCALLER_TOKEN
        ([], True),  # both from SHOWCALLER_SERVER and SHOWCALLER_TOKEN
    ],
)
def test_a_remote_command_reads_the_settings_only_for_what_its_command_line_left_out(given, reads_settings):
    """pydantic-settings is about a sixth of a remote command's start-up. Nothing listens on port 9,
    so the command fails saying which server it tried."""
    loaded = _run(
        "import contextlib, io, json, os, sys\n"
        "os.environ.update(SHOWCALLER_SERVER='http://127.0.0.1:9', SHOWCALLER_TOKEN='t')\n"
        f"sys.argv = ['showcaller', *{given!r}, 'state', 'mekong']\n"
        "from app.cli import main\n"
        "err = io.StringIO()\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):\n"
        "    with contextlib.suppress(SystemExit):\n"
        "        main()\n"
        "print(json.dumps(['app.core.config' in sys.modules, 'cannot reach http://127.0.0.1:9' in err.getvalue()]))"
    )
    assert loaded == [reads_settings, True]


# A server in the command's own process that notes which of BEFORE_THE_REQUEST are loaded when each
# request arrives, and answers as the API does: the state to a GET, an action's record to a POST.
REMOTE = """
import contextlib, http.server, io, json, sys, threading
seen = []
STATE = {"event": {"id": "mekong", "title": "Mekong", "timezone": "Asia/Bangkok"}, "status": "running",
         "current": None, "next": None, "delay": 0, "projected_end": None, "planned_end": None, "timers": []}

class Answer(http.server.BaseHTTPRequestHandler):
    def answer(self, body):
        seen.append([m for m in KEPT_OUT if sys.modules.get(m) is not None])
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.answer(STATE)

    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"] or 0))
        self.answer({"kind": self.path.rsplit("/", 1)[1], "seq": 7, "state": STATE})

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.argv = ["showcaller", "--server", f"http://127.0.0.1:{server.server_port}", "--token", "t", *ARGV]
from app.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
    main()
print(json.dumps([seen, out.getvalue().splitlines()[0], [m for m in KEPT_OUT if sys.modules.get(m) is not None]]))
"""


@pytest.mark.parametrize(
    ("argv", "first_line"),
    [
        (["state", "mekong"], "Mekong (mekong): running"),
        (["hold", "mekong"], "hold recorded (seq 7)"),
        (["delay", "mekong", "--minutes", "2.5"], "delay recorded (seq 7)"),  # a float, from the text typed
        (["undo", "mekong", "--seq", "6"], "undo recorded (seq 7)"),  # an int
        (["announce", "mekong", "Doors open", "--to", "hosts"], "announcements recorded (seq 7)"),  # lists of text
    ],
)
def test_a_remote_command_sends_its_request_before_importing_what_it_does_not_need(argv, first_line):
    """pydantic (typer's coercion), rich and click were half of a remote command's start-up. rich
    comes in to print the answer, after it arrived; pydantic not at all."""
    seen, printed, at_exit = _run(f"KEPT_OUT = {BEFORE_THE_REQUEST!r}\nARGV = {argv!r}\n{REMOTE}")
    assert seen == [[] for _ in seen] and seen, seen
    assert printed == first_line
    assert at_exit == ["rich"]


def test_help_and_unknown_names_load_every_command():
    loaded = _run(
        "import json\nfrom app.cli import load_commands\n"
        "print(json.dumps([load_commands(['--help']), load_commands(['no-such-command'])]))"
    )
    everything = sorted(set(COMMAND_MODULES.values()))
    assert loaded == [everything, everything]


def test_the_command_name_skips_the_root_options():
    assert command_name(["--server", "http://h", "--token", "t", "state"]) == "state"
    assert command_name(["--server=http://h", "hold", "x"]) == "hold"
    assert command_name(["--version"]) is None
    assert command_name([]) is None


def test_the_script_prints_its_version():
    done = subprocess.run(
        [sys.executable, "-c", "import sys; sys.argv = ['showcaller', '--version']; from app.cli import main; main()"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stdout.startswith("showcaller "), done.stderr


@pytest.mark.parametrize(("server", "loads"), [("http://127.0.0.1:9", 0), ("https://127.0.0.1:9", 1)])
def test_a_plain_http_server_needs_no_trust_store(monkeypatch, server, loads):
    """Loading certifi's certificates was a tenth of a remote command's start-up; a server reached
    over plain HTTP never needs them, one reached over HTTPS is verified as httpx does by default."""
    import ssl

    from app.cli.remote import Remote

    loaded = []
    load = ssl.SSLContext.load_verify_locations
    monkeypatch.setattr(
        ssl.SSLContext, "load_verify_locations", lambda ctx, *a, **k: loaded.append(a) or load(ctx, *a, **k)
    )
    Remote(server, "t").close()
    assert len(loaded) == loads
