"""Schedule text on its way into the store: checked against the text rule, then parsed by the loader.

The loader (schedules/load.py) owns the schedule-file rules; this guard only makes sure that what
reaches the database is text every store accepts, whatever the loader lets through: control
characters written raw in the file, or produced by a YAML escape such as "Opening\\0remarks".
"""

from __future__ import annotations

from app.text_rules import describe, first_forbidden, problems
from schedules.load import MAX_BYTES, load_text
from schedules.model import Schedule
from schedules.problems import Problem, ScheduleError

FIX = "remove it (only tab and line breaks may appear in text)"


def check_text(text: str, source: str) -> None:
    """Refuse raw control characters in the file, located by line and column."""
    found = first_forbidden(text)
    if found is None:
        return
    index, char = found
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    raise ScheduleError(source, [Problem(line, column, (), f"{describe(char)} in the file", FIX, source)])


def check_storable(schedule: Schedule, text: str, source: str) -> None:
    """Refuse a parsed schedule holding a value some store cannot keep (e.g. from a \\0 escape)."""
    found = list(problems(schedule.model_dump(mode="json")))
    if not found:
        return
    from schedules.source import locate, parse_yaml

    _, marks = parse_yaml(text, source)
    located = []
    for path, message in found:
        line, column = locate(marks, path)
        located.append(Problem(line, column, path, message, FIX, source))
    raise ScheduleError(source, located)


def parse_checked(text: str, source: str, max_bytes: int = MAX_BYTES) -> Schedule:
    """Validate schedule text with the loader and the text rule; raises ScheduleError."""
    check_text(text, source)
    schedule = load_text(text, source, max_bytes)
    check_storable(schedule, text, source)
    return schedule
