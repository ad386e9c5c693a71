"""Poll results read back from Zoom after the meeting, kept as counts only.

Zoom answers who chose what (`GET /past_meetings/{id}/polls`: name, email, answers); only the
counts are stored (app/store: zoom_poll_results): per question, how many answered and how many
chose each answer. A multiple-choice answer holds the options joined with ";" (docs/zoom-api-notes.md
section 9), each counted once.
"""

from __future__ import annotations

from typing import Any


def count_answers(respondents: list[Any]) -> list[dict[str, Any]]:
    """[{question, answered, answers: {answer: count}}] in the order questions first appear."""
    out: dict[str, dict[str, Any]] = {}
    for person in respondents:
        seen: set[str] = set()
        for detail in person.question_details:
            question = detail.question.strip()
            if not question:
                continue
            entry = out.setdefault(question, {"question": question, "answered": 0, "answers": {}})
            if question not in seen:
                entry["answered"] += 1
                seen.add(question)
            for option in dict.fromkeys(a.strip() for a in detail.answer.split(";") if a.strip()):
                entry["answers"][option] = entry["answers"].get(option, 0) + 1
    return list(out.values())
