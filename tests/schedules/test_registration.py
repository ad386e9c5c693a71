"""zoom.registration in the schedule file: the form it describes, and errors that name line, field and fix."""

from __future__ import annotations

import re

import pytest

from app.zoom.mapping import spec_from_schedule
from integrations.zoom.spec import questions_body
from schedules.load import load_text
from schedules.problems import ScheduleError
from tests.conftest import MEKONG

TEXT = MEKONG.read_text(encoding="utf-8")


def problems(text: str) -> list[str]:
    with pytest.raises(ScheduleError) as caught:
        load_text(text, "m.yaml")
    return str(caught.value).splitlines()


def test_mekong_asks_country_organisation_job_title_and_three_questions() -> None:
    spec = spec_from_schedule(load_text(TEXT, "m.yaml"))
    body = questions_body(spec)
    assert body is not None and spec.approval_type == 0
    assert [q["field_name"] for q in body["questions"]] == ["country", "org", "job_title"]
    assert [q["type"] for q in body["custom_questions"]] == ["single", "single", "short"]


def test_plain_true_still_means_registration_without_managing_the_form() -> None:
    text = re.sub(r"  registration:\n(    .*\n)+", "  registration: true\n", TEXT)
    spec = spec_from_schedule(load_text(text, "m.yaml"))
    assert spec.registration and spec.registration_form is None


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "answers: [Woman, Man, Another gender, Prefer not to say]",
            "answers: [Woman]",
            "m.yaml:42:9: zoom.registration.questions[0]: question 'Gender' is single-choice but has 1 answer(s). "
            "Fix: list at least two under answers:, or set type: short",
        ),
        (
            "fields: [country, organisation, job_title]",
            "fields: [country, organization, job_title]",
            "m.yaml:40:23: zoom.registration.fields[1]: 'organization' is not allowed.",
        ),
        ("approval: automatic", "approval: later", "m.yaml:39:5: zoom.registration.approval: 'later' is not allowed."),
        (
            "fields: [country, organisation, job_title]",
            "fields: [country, organisation, job_title]\n    optional_fields: [country]",
            "m.yaml:38:3: zoom.registration: registration field country is listed twice. Fix: keep it once",
        ),
    ],
)
def test_errors_name_line_field_and_fix(old: str, new: str, expected: str) -> None:
    lines = problems(TEXT.replace(old, new))
    assert any(line.startswith(expected) for line in lines), lines
    assert not any(".on-off" in line or ".form" in line for line in lines)
