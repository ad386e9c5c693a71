"""The pack's "Polls" section: each poll's questions with how many chose each answer.

From the counts stored after the meeting (app/attendance/polls.py: who answered what is never
stored), summed over the meeting's instances, in the order of the schedule's zoom.polls (questions
Zoom reports that no scheduled poll asks, such as a poll made by hand in the meeting, come last
under "Other polls"). Same privacy rule as the breakdowns: a count above zero and below the
threshold is shown as "< 5".
"""

from __future__ import annotations

from typing import Any

from app.report.figures import cell
from schedules.i18n import N_
from schedules.model import Schedule

OTHER = N_("Other polls")  # translated where the pack is written (render.py)


def _merged(stored: list[list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for instance in stored:
        for q in instance:
            entry = out.setdefault(str(q.get("question", "")), {"answered": 0, "answers": {}})
            entry["answered"] += int(q.get("answered", 0))
            for answer, count in (q.get("answers") or {}).items():
                entry["answers"][answer] = entry["answers"].get(answer, 0) + int(count)
    return out


def _question(name: str, kind: str, options: list[str], found: dict[str, Any] | None, threshold: int) -> dict:
    found = found or {"answered": 0, "answers": {}}
    counts = found["answers"]
    names = list(dict.fromkeys([*options, *counts]))
    return {
        "question": name,
        "type": kind,
        "answered": cell(found["answered"], threshold),
        "answers": [{"answer": a, "count": cell(counts.get(a, 0), threshold)} for a in names],
    }


def polls_section(schedule: Schedule, stored: list[list[dict[str, Any]]], threshold: int) -> dict[str, Any] | None:
    """The section's data, or None when the schedule has no poll and Zoom reported none."""
    if not stored and not schedule.zoom.polls:
        return None
    merged = _merged(stored)
    polls = []
    for poll in schedule.zoom.polls:
        questions = [
            _question(q.name, q.type.value, list(q.answers), merged.pop(q.name.strip(), None), threshold)
            for q in poll.questions
        ]
        polls.append({"title": poll.title, "questions": questions})
    if merged:
        polls.append(
            {"title": OTHER, "questions": [_question(n, "", [], found, threshold) for n, found in merged.items()]}
        )
    return {"read": bool(stored), "polls": polls}
