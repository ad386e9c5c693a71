"""Polls and the end-of-meeting survey from the schedule, converged by `apply` like the
registration form: read what Zoom has, write only what differs, and say what was done.

A scheduled poll is found in Zoom by its title: missing, it is created (exactly once: after an
ambiguous failure the poll list is read before any second POST, `LiveControls.create_poll`);
with other questions, it is replaced (PUT). Polls the schedule does not name (made by hand) are
left alone. The survey is set (PATCH, idempotent) when Zoom's differs. A poll or survey Zoom
refuses (polls off for the account, a Basic host) does not undo the meeting: it is a note with
the reason and the fix. Zoom's API cannot launch a poll in a running meeting: the timeline reminds
the hosts at `open_at` (schedules/zoom_actions.py).
"""

from __future__ import annotations

from typing import Any

from integrations.zoom import ZoomError
from schedules.model import PollQuestion, Schedule, ZoomPoll, ZoomSurvey

POLL = 1  # Zoom's poll_type for a plain poll (2: advanced, 3: quiz)


def _questions(questions: list[PollQuestion]) -> list[dict[str, Any]]:
    return [{"name": q.name, "type": q.type.value, "answers": list(q.answers)} for q in questions]


def poll_body(poll: ZoomPoll) -> dict[str, Any]:
    """POST/PUT /meetings/{id}/polls body of a scheduled poll."""
    return {
        "title": poll.title,
        "anonymous": poll.anonymous,
        "poll_type": POLL,
        "questions": _questions(poll.questions),
    }


def survey_body(survey: ZoomSurvey) -> dict[str, Any]:
    """PATCH /meetings/{id}/survey body: a third-party link, or Zoom's own questions."""
    if survey.link is not None:
        return {"third_party_survey": survey.link, "show_in_the_browser": True}
    custom = {
        "title": survey.title or "Survey",
        "anonymous": survey.anonymous,
        "questions": _questions(survey.questions),
    }
    return {"custom_survey": custom, "show_in_the_browser": True}


def _key(questions: Any) -> tuple:
    return tuple(
        (str(_get(q, "name")), str(_get(q, "type") or "single"), tuple(_get(q, "answers") or ()))
        for q in questions or ()
    )


def _get(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


async def converge_polls(client: Any, meeting_id: int, webinar: bool, schedule: Schedule) -> tuple[list[str], int]:
    """Make Zoom's polls match zoom.polls; (what was done or refused, write calls made)."""
    if not schedule.zoom.polls:
        return [], 0
    notes, writes = [], 0
    try:
        have = {p.title.strip().casefold(): p for p in await client.list_polls(meeting_id, webinar=webinar)}
    except ZoomError as exc:
        return [f"polls not set: Zoom refused to list them ({exc.message}); check that polling is on for the host"], 0
    for poll in schedule.zoom.polls:
        body = poll_body(poll)
        found = have.get(poll.title.strip().casefold())
        try:
            if found is None:
                await client.create_poll(meeting_id, body, webinar=webinar, exclude=[p.id for p in have.values()])
                notes.append(f"+ poll '{poll.title}' ({len(poll.questions)} questions)")
                writes += 1
            elif _key(found.questions) != _key(body["questions"]) or bool(found.anonymous) != poll.anonymous:
                await client.update_poll(meeting_id, found.id, body, webinar=webinar)
                notes.append(f"~ poll '{poll.title}' (questions or anonymity changed)")
                writes += 1
        except ZoomError as exc:
            notes.append(
                f"poll '{poll.title}' not set: Zoom refused ({exc.message}); turn polling on for the host "
                "(Settings > In Meeting (Basic) > Meeting Polls/Quizzes) and run apply again"
            )
    return notes, writes


async def converge_survey(client: Any, meeting_id: int, webinar: bool, schedule: Schedule) -> tuple[list[str], int]:
    """Set Zoom's survey to zoom.survey when it differs; (what was done or refused, write calls)."""
    survey = schedule.zoom.survey
    if survey is None:
        return [], 0
    body = survey_body(survey)
    try:
        current = await client.get_survey(meeting_id, webinar=webinar)
    except ZoomError:
        current = {}
    same = all(current.get(k) == v for k, v in body.items() if k != "custom_survey")
    if "custom_survey" in body:
        have = current.get("custom_survey") or {}
        same = same and have.get("title") == body["custom_survey"]["title"]
        same = same and _key(have.get("questions")) == _key(body["custom_survey"]["questions"])
    if same:
        return [], 0
    try:
        await client.set_survey(meeting_id, body, webinar=webinar)
    except ZoomError as exc:
        return [f"survey not set: Zoom refused ({exc.message}); check the survey settings of the account"], 0
    return ["~ survey " + ("link" if survey.link else f"'{body['custom_survey']['title']}'")], 1
