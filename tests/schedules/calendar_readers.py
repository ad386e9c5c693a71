"""The calendar readers the tests use on every .ics the product writes: icalendar, vobject, and Mozilla's
ical.js under Node (tests/js/read_ics.mjs, installed from its package-lock.json on first use).

Each returns {UID: (start, end)} in UTC; vobject and ical.js resolve a TZID from the file's own VTIMEZONE.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import vobject
from icalendar import Calendar

JS = Path(__file__).resolve().parents[1] / "js"


def z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def read_icalendar(path: Path) -> dict[str, tuple[datetime, datetime]]:
    cal = Calendar.from_ical(path.read_bytes())
    return {
        str(e["uid"]): (e.decoded("dtstart").astimezone(UTC), e.decoded("dtend").astimezone(UTC))
        for e in cal.walk("VEVENT")
    }


def read_vobject(path: Path) -> dict[str, tuple[datetime, datetime]]:
    cal = vobject.readOne(path.read_text())
    return {
        e.uid.value: (e.dtstart.value.astimezone(UTC), e.dtend.value.astimezone(UTC))
        for e in cal.contents.get("vevent", [])
    }


def _node() -> str:
    """The node binary, with ical.js installed from tests/js/package-lock.json on first use."""
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI reads every invite with ical.js: install Node (.ci/run does: apt-get install nodejs npm)")
        pytest.skip("node is not installed, so ical.js cannot read the invites (apt-get install nodejs npm)")
    if not (JS / "node_modules" / "ical.js" / "package.json").exists():
        npm = shutil.which("npm")
        assert npm, "node is installed without npm: apt-get install npm"
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS, capture_output=True, text=True)
        assert done.returncode == 0, f"npm ci in tests/js failed:\n{done.stdout}\n{done.stderr}"
    return node


def read_ical_js(paths: list[Path]) -> dict[str, dict]:
    done = subprocess.run(
        [_node(), str(JS / "read_ics.mjs"), *map(str, paths)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def ical_js_instants(paths: list[Path]) -> dict[str, tuple[datetime, datetime]]:
    """{UID: (start, end)} of every VEVENT in `paths`, as ical.js reads them."""
    read = read_ical_js(paths)
    return {e["uid"]: (z(e["start"]), z(e["end"])) for f in read.values() for e in f["events"]}
