"""The calendar readers the tests use on every .ics the product writes: icalendar, vobject, and Mozilla's
ical.js under Node (tests/js/read_ics.mjs, installed from its package-lock.json on first use).

Each returns {UID: (start, end)} in UTC; vobject and ical.js resolve a TZID from the file's own VTIMEZONE.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import vobject
from icalendar import Calendar

from tests.fixtures.node import node_with

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
    return node_with(JS)


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
