"""Registration the way Zoom keeps it: the form (standard fields, custom questions) and registrants.

The REST routes and the live simulation both register through `register`, so a crowd registered
in a rehearsal is checked against the form exactly like a POST from a client.
"""

from __future__ import annotations

import random
from typing import Any

from integrations.zoom_emulator.errors import EmuError, validation_failed
from integrations.zoom_emulator.render import registration_on, zoom_time
from integrations.zoom_emulator.state import EmulatorState, StoredMeeting
from integrations.zoom_emulator.validation import require_object, validate_registrant

# Kept apart from the client's list (integrations/zoom/spec.py) on purpose: the emulator stands in
# for Zoom, so a mistake in the client's list must not be mirrored here.
STANDARD_FIELDS = (
    "last_name",
    "address",
    "city",
    "country",
    "zip",
    "state",
    "phone",
    "industry",
    "org",
    "job_title",
    "purchasing_time_frame",
    "role_in_purchase_process",
    "no_of_employees",
    "comments",
)
# Question types per kind, from the two PATCH …/registrants/questions schemas.
CUSTOM_TYPES = {"meeting": {"short", "single"}, "webinar": {"short", "single_radio", "single_dropdown", "multiple"}}


def validate_questions(body: Any, kind: str) -> dict[str, Any]:
    """PATCH …/registrants/questions: known field names; choice questions list their answers."""
    body = require_object(body)
    bad = []
    questions = body.get("questions", [])
    custom = body.get("custom_questions", [])
    if not isinstance(questions, list):
        bad.append("questions")
        questions = []
    if not isinstance(custom, list):
        bad.append("custom_questions")
        custom = []
    for i, q in enumerate(questions):
        if not isinstance(q, dict) or q.get("field_name") not in STANDARD_FIELDS:
            bad.append(f"questions[{i}].field_name")
    for i, q in enumerate(custom):
        if not isinstance(q, dict) or not isinstance(q.get("title"), str) or not q["title"]:
            bad.append(f"custom_questions[{i}].title")
            continue
        kind_ok = q.get("type") in CUSTOM_TYPES[kind]
        answers = q.get("answers") or []
        if not kind_ok or (q["type"] != "short" and not answers) or (q["type"] == "short" and answers):
            bad.append(f"custom_questions[{i}].type")
    if bad:
        raise validation_failed(*bad)
    return {
        "questions": [{"field_name": q["field_name"], "required": bool(q.get("required"))} for q in questions],
        "custom_questions": [
            {
                "title": q["title"],
                "type": q["type"],
                "required": bool(q.get("required")),
                **({"answers": list(q["answers"])} if q.get("answers") else {}),
            }
            for q in custom
        ],
    }


def set_questions(m: StoredMeeting, body: Any) -> None:
    """Replace the form (Zoom answers 400/3000 while registration is off)."""
    form = validate_questions(body, m.kind)
    if not registration_on(m):
        raise EmuError(400, 3000, f"Registration has not been enabled for this {m.kind}: {m.id}.")
    m.questions = form


def _check_answers(m: StoredMeeting, body: dict[str, Any]) -> None:
    bad = [
        q["field_name"]
        for q in m.questions["questions"]
        if q["required"] and not str(body.get(q["field_name"]) or "").strip()
    ]
    given = {}
    for a in body.get("custom_questions") or []:
        if isinstance(a, dict) and isinstance(a.get("title"), str):
            given[a["title"]] = str(a.get("value") or "")
    for q in m.questions["custom_questions"]:
        value = given.get(q["title"], "")
        if (q["required"] and not value) or (value and q.get("answers") and value not in q["answers"]):
            bad.append(f"custom_questions.{q['title']}")
    if bad:
        raise validation_failed(*bad)


def register(state: EmulatorState, m: StoredMeeting, raw: Any, now) -> dict[str, Any]:
    """Add a registrant (or return the one with the same email); the form is enforced like Zoom does."""
    body = validate_registrant(raw)
    if not registration_on(m):
        raise EmuError(400, 3000, f"Registration has not been enabled for this {m.kind}: {m.id}.")
    found = next((r for r in m.registrants if r["email"].lower() == body["email"].lower()), None)
    if found is not None:
        return found
    _check_answers(m, body)
    manual = m.fields["settings"].get("approval_type") == 1
    found = {
        "id": state.ids.user_id(),
        "email": body["email"],
        "first_name": body["first_name"],
        "last_name": body.get("last_name", ""),
        **{f: str(body[f]) for f in STANDARD_FIELDS if f != "last_name" and body.get(f)},
        "custom_questions": [
            {"title": str(a["title"]), "value": str(a.get("value") or "")}
            for a in body.get("custom_questions") or []
            if isinstance(a, dict) and a.get("title")
        ],
        "status": "pending" if manual else "approved",
        "create_time": zoom_time(now),
    }
    if not manual:
        letter = "j" if m.kind == "meeting" else "w"
        found["join_url"] = f"https://zoom.us/{letter}/{m.id}?tk={state.ids.token(24)}"
    m.registrants.append(found)
    return found


# What a simulated crowd answers: the Greater Mekong and partners (two-letter codes, as Zoom stores them).
COUNTRIES = ("KH", "KH", "KH", "LA", "LA", "MM", "TH", "TH", "VN", "VN", "CN", "PH", "AU", "CH", "JP")
ORGANISATIONS = (
    "Ministry of Labour and Vocational Training",
    "Ministry of Labour and Social Welfare",
    "IOM",
    "ADB",
    "ILO",
    "Mekong Migration Network",
    "Chulalongkorn University",
    "Asian Research Center for Migration",
    "Save the Children",
)
JOB_TITLES = ("Policy officer", "Researcher", "Programme manager", "Director", "Consultant", "Student")
_PICKS = {"country": COUNTRIES, "org": ORGANISATIONS, "job_title": JOB_TITLES}
SHORT_ANSWER = "Portability of social protection"


def fill_form(form: dict[str, Any], name: str, email: str, rng: random.Random) -> dict[str, Any]:
    """A registration as a person fills in `form`: every field asked, every choice made, free text sometimes."""
    first, _, last = name.partition(" ")
    body: dict[str, Any] = {"email": email, "first_name": first, "last_name": last}
    for q in form.get("questions", []):
        name_ = q["field_name"]
        if name_ != "last_name":
            body[name_] = rng.choice(_PICKS.get(name_, (f"{name_} {rng.randint(1, 9)}",)))
    answers = []
    for q in form.get("custom_questions", []):
        if q.get("answers"):
            answers.append({"title": q["title"], "value": rng.choice(q["answers"])})
        elif q.get("required") or rng.random() < 0.5:
            answers.append({"title": q["title"], "value": SHORT_ANSWER})
    if answers:
        body["custom_questions"] = answers
    return body
