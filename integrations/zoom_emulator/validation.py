"""Request validation the way Zoom does it (limits from the spec, API-NOTES and KB articles)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from integrations.zoom_emulator.errors import EmuError, validation_failed

MEETING_TYPES = {1, 2, 3, 8, 10}
WEBINAR_TYPES = {5, 6, 9}
ENUMS: dict[str, set[Any]] = {
    "approval_type": {0, 1, 2},
    "registration_type": {1, 2, 3},
    "auto_recording": {"local", "cloud", "none"},
    "jbh_time": {0, 5, 10, 15},
    "audio": {"both", "telephony", "voip", "thirdParty"},
}
BOOLS = ("waiting_room", "mute_upon_entry", "join_before_host", "host_video", "participant_video")
MAX_ROOMS = 100
MAX_ROOM_PEOPLE = 1000
MAX_PANELISTS_PER_CALL = 30


def require_object(body: Any) -> dict[str, Any]:
    """Zoom's answer to a body that is not a JSON object."""
    if not isinstance(body, dict):
        raise EmuError(400, 300, "Request Body should be a valid JSON object.")
    return body


def parse_start_time(value: Any, tz_name: str | None) -> datetime | None:
    """Zoom's two accepted forms: UTC `…Z` or local time read in `timezone`."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        try:
            parsed = parsed.replace(tzinfo=ZoneInfo(tz_name or "UTC"))
        except (ZoneInfoNotFoundError, ValueError):
            return None
    return parsed.astimezone(UTC)


def _check_settings(settings: Any, kind: str, bad: list[str]) -> None:
    if settings is None:
        return
    if not isinstance(settings, dict):
        bad.append("settings")
        return
    for name, allowed in ENUMS.items():
        if name in settings and settings[name] not in allowed:
            bad.append(f"settings.{name}")
    for name in BOOLS:
        if name in settings and not isinstance(settings[name], bool):
            bad.append(f"settings.{name}")
    if "alternative_hosts" in settings and not isinstance(settings["alternative_hosts"], str):
        bad.append("settings.alternative_hosts")
    li = settings.get("language_interpretation")
    if li is not None:
        for i, interp in enumerate((li or {}).get("interpreters") or []):
            langs = str(interp.get("interpreter_languages") or interp.get("languages") or "")
            if len([p for p in langs.split(",") if p.strip()]) != 2 or not interp.get("email"):
                bad.append(f"settings.language_interpretation.interpreters[{i}]")
    br = settings.get("breakout_room")
    if br is not None:
        if kind == "webinar":
            bad.append("settings.breakout_room")
            return
        rooms = (br or {}).get("rooms") or []
        people = sum(len(r.get("participants") or []) for r in rooms if isinstance(r, dict))
        if len(rooms) > MAX_ROOMS or people > MAX_ROOM_PEOPLE:
            bad.append("settings.breakout_room.rooms")


def validate_meeting_body(body: Any, kind: str, *, partial: bool) -> dict[str, Any]:
    """Validate a create (partial=False) or PATCH body; raises 400/300 on the first bad fields."""
    body = require_object(body)
    bad: list[str] = []
    if "topic" in body and (not isinstance(body["topic"], str) or len(body["topic"]) > 200):
        bad.append("topic")
    if "agenda" in body and (not isinstance(body["agenda"], str) or len(body["agenda"]) > 2000):
        bad.append("agenda")
    if "password" in body and (not isinstance(body["password"], str) or len(body["password"]) > 10):
        bad.append("password")
    duration = body.get("duration")
    if "duration" in body and (
        not isinstance(duration, int) or isinstance(duration, bool) or not 1 <= duration <= 1440
    ):
        bad.append("duration")
    allowed_types = MEETING_TYPES if kind == "meeting" else WEBINAR_TYPES
    if "type" in body and body["type"] not in allowed_types:
        bad.append("type")
    if "timezone" in body:
        try:
            ZoneInfo(str(body["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            bad.append("timezone")
    if "start_time" in body and parse_start_time(body["start_time"], body.get("timezone")) is None:
        bad.append("start_time")
    _check_settings(body.get("settings"), kind, bad)
    if bad:
        raise validation_failed(*bad)
    if not partial and kind == "meeting" and body.get("type", 2) not in (2, 8):
        # Only scheduled meetings are modelled; instant/recurring ones are out of scope.
        raise EmuError(400, 300, "Only scheduled meetings (type 2 or 8) are emulated.")
    return body


def validate_panelists(body: Any) -> list[dict[str, Any]]:
    """POST …/panelists: 1..30 entries, each with an email and a name."""
    body = require_object(body)
    panelists = body.get("panelists")
    if not isinstance(panelists, list) or not panelists:
        raise validation_failed("panelists")
    if len(panelists) > MAX_PANELISTS_PER_CALL:
        raise EmuError(
            400,
            300,
            "Validation Failed.",
            errors=[{"field": "panelists", "message": "Panelists can not be more than 30."}],
        )
    bad = [
        f"panelists[{i}]"
        for i, p in enumerate(panelists)
        if not isinstance(p, dict) or not p.get("email") or not p.get("name")
    ]
    if bad:
        raise validation_failed(*bad)
    return panelists


def validate_registrant(body: Any) -> dict[str, Any]:
    """POST …/registrants: email (<=128) and first_name (<=64) required, last_name <=64."""
    body = require_object(body)
    bad = []
    email = body.get("email")
    if not isinstance(email, str) or "@" not in email or len(email) > 128:
        bad.append("email")
    first = body.get("first_name")
    if not isinstance(first, str) or not first or len(first) > 64:
        bad.append("first_name")
    if "last_name" in body and (not isinstance(body["last_name"], str) or len(body["last_name"]) > 64):
        bad.append("last_name")
    if bad:
        raise validation_failed(*bad)
    return body


# --- polls, surveys, live stream (issue 29; limits from the meetings spec) ----------------

QUESTION_TYPES = {
    "single",
    "multiple",
    "matching",
    "rank_order",
    "short_answer",
    "long_answer",
    "fill_in_the_blank",
    "rating_scale",
}
_CHOICE_TYPES = {"single", "multiple"}
MAX_POLL_TITLE = 64
MAX_QUESTION_NAME = 1024
MAX_SURVEY_QUESTIONS = 100


def _check_question(q: Any, where: str, bad: list[str], *, quiz: bool, answer_len: int | None) -> None:
    if not isinstance(q, dict):
        bad.append(where)
        return
    name = q.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_QUESTION_NAME:
        bad.append(f"{where}.name")
    kind = q.get("type", "single")
    if kind not in QUESTION_TYPES:
        bad.append(f"{where}.type")
        return
    answers = q.get("answers")
    if kind in _CHOICE_TYPES:
        if (
            not isinstance(answers, list)
            or len(answers) < 2
            or not all(isinstance(a, str) and a and (answer_len is None or len(a) <= answer_len) for a in answers)
        ):
            bad.append(f"{where}.answers")
        elif quiz:
            right = q.get("right_answers")
            if not isinstance(right, list) or not right or not set(right) <= set(answers):
                bad.append(f"{where}.right_answers")
    if kind == "rating_scale":
        low, high = q.get("rating_min_value", 1), q.get("rating_max_value", 5)
        if not (isinstance(low, int) and isinstance(high, int) and 0 <= low < high <= 10):
            bad.append(f"{where}.rating_min_value")


def validate_poll(body: Any) -> dict[str, Any]:
    """POST/PUT …/polls: title 1..64 chars, poll_type 1|2|3 (3 = quiz, needs right answers), questions."""
    body = require_object(body)
    bad: list[str] = []
    title = body.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_POLL_TITLE:
        bad.append("title")
    poll_type = body.get("poll_type", 1)
    if poll_type not in (1, 2, 3) or isinstance(poll_type, bool):
        bad.append("poll_type")
    if "anonymous" in body and not isinstance(body["anonymous"], bool):
        bad.append("anonymous")
    questions = body.get("questions")
    if not isinstance(questions, list) or not questions:
        bad.append("questions")
    else:
        for i, q in enumerate(questions):
            _check_question(q, f"questions[{i}]", bad, quiz=poll_type == 3, answer_len=None)
    if bad:
        raise validation_failed(*bad)
    return body


def validate_survey(body: Any) -> dict[str, Any]:
    """PATCH …/survey: a custom survey (1..100 questions) and/or a third-party survey link."""
    body = require_object(body)
    bad: list[str] = []
    custom = body.get("custom_survey")
    if custom is not None:
        if not isinstance(custom, dict):
            bad.append("custom_survey")
        else:
            title = custom.get("title", "")
            if not isinstance(title, str) or len(title) > MAX_POLL_TITLE:
                bad.append("custom_survey.title")
            if not isinstance(custom.get("feedback", ""), str) or len(custom.get("feedback", "")) > 320:
                bad.append("custom_survey.feedback")
            questions = custom.get("questions")
            if not isinstance(questions, list) or not 1 <= len(questions) <= MAX_SURVEY_QUESTIONS:
                bad.append("custom_survey.questions")
            else:
                for i, q in enumerate(questions):
                    _check_question(q, f"custom_survey.questions[{i}]", bad, quiz=False, answer_len=200)
    if "show_in_the_browser" in body and not isinstance(body["show_in_the_browser"], bool):
        bad.append("show_in_the_browser")
    if bad:
        raise validation_failed(*bad)
    link = body.get("third_party_survey")
    if link is not None and (not isinstance(link, str) or len(link) > 64 or not link.startswith("https://")):
        raise EmuError(400, 300, f"Invalid third party survey: {link}.")
    return body


def validate_livestream(body: Any) -> dict[str, Any]:
    """PATCH …/livestream: stream_url, stream_key and page_url are required; resolution 720p|1080p."""
    body = require_object(body)
    bad: list[str] = []
    for name, limit in (("stream_url", 1024), ("stream_key", 512), ("page_url", 1024)):
        value = body.get(name)
        if not isinstance(value, str) or not value or len(value) > limit:
            bad.append(name)
    page = body.get("page_url")
    if isinstance(page, str) and not page.startswith(("http://", "https://")):
        bad.append("page_url")
    if "resolution" in body and body["resolution"] not in ("720p", "1080p"):
        bad.append("resolution")
    if bad:
        raise validation_failed(*bad)
    return body
