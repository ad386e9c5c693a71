"""Registration form: apply sets it through the registrant-questions API and converges it; the emulator
keeps it, enforces it on registrants and lists them page by page."""

from __future__ import annotations

import json

import pytest

from integrations.zoom import ZoomValidationError, converge
from integrations.zoom.spec import CustomQuestion, RegistrationForm, RegistrationQuestion, questions_body
from tests.zoom.test_contract import api_path, full_meeting_spec, webinar_spec

FORM = RegistrationForm(
    questions=(RegistrationQuestion(field_name="country"), RegistrationQuestion(field_name="org", required=False)),
    custom_questions=(
        CustomQuestion(title="Gender", answers=("Woman", "Man", "Prefer not to say")),
        CustomQuestion(title="Your question", type="short", required=False),
    ),
)


def with_form(spec, form=FORM, **kw):
    return spec.model_copy(update={"registration_form": form, **kw})


def question_calls(captured):
    return [
        (rq.method, api_path(rq), json.loads(rq.content) if rq.content else None)
        for rq, _ in captured.pairs
        if api_path(rq).endswith("/registrants/questions")
    ]


async def test_create_sets_the_form_and_a_rerun_only_reads_it(client, emulator, captured, contract) -> None:
    spec = with_form(full_meeting_spec())
    plan, made = await converge(client, spec, None)
    assert any(line.startswith("registrants.questions: fields [country, org?]") for line in plan.sends)
    stored = emulator.state.meetings[made.id].questions
    assert stored["questions"] == [
        {"field_name": "country", "required": True},
        {"field_name": "org", "required": False},
    ]
    assert stored["custom_questions"][0] == {
        "title": "Gender",
        "type": "single",
        "required": True,
        "answers": ["Woman", "Man", "Prefer not to say"],
    }
    captured.pairs.clear()
    plan, again = await converge(client, spec, made.id)
    assert plan.is_empty and again.write_calls == 0
    assert [(m, p) for m, p, _ in question_calls(captured)] == [("GET", f"/meetings/{made.id}/registrants/questions")]


async def test_a_changed_question_is_patched_alone_and_every_request_fits_the_spec(
    client, emulator, captured, contract
) -> None:
    spec = with_form(full_meeting_spec())
    _, made = await converge(client, spec, None)
    changed = with_form(
        spec,
        RegistrationForm(
            questions=FORM.questions,
            custom_questions=(CustomQuestion(title="Gender", answers=("Woman", "Man", "Another gender")),),
        ),
    )
    plan, result = await converge(client, changed, made.id)
    assert [c.action for c in plan.items] == ["questions"] and result.write_calls == 1
    assert plan.render() == (
        "~ registrants.questions: ~ question 'Gender' answers ['Woman', 'Man', 'Prefer not to say'] -> "
        "['Woman', 'Man', 'Another gender']; - question 'Your question'"
    )
    assert emulator.state.meetings[made.id].questions["custom_questions"][0]["answers"][-1] == "Another gender"
    calls = question_calls(captured)
    assert {(m, p.split("/")[1]) for m, p, _ in calls} == {("PATCH", "meetings"), ("GET", "meetings")}
    for method, path, body in calls:
        contract.validate_request(method, path, body)
    for rq, rs in captured.pairs:
        if api_path(rq).endswith("/registrants/questions") and rs.status_code == 200:
            contract.validate_response("GET", api_path(rq), 200, rs.json())


async def test_webinar_single_choice_is_single_radio_and_manual_approval_is_approval_type_1(
    client, emulator, captured, contract
) -> None:
    spec = with_form(webinar_spec(2), manual_approval=True)
    body = questions_body(spec)
    assert body is not None and body["custom_questions"][0]["type"] == "single_radio"
    _, made = await converge(client, spec, None)
    stored = emulator.state.meetings[made.id]
    assert stored.fields["settings"]["approval_type"] == 1
    assert stored.questions["custom_questions"][0]["type"] == "single_radio"
    for method, path, sent in question_calls(captured):
        contract.validate_request(method, path, sent)
    plan, _ = await converge(client, spec, made.id)
    assert plan.is_empty
    # Someone registers: manual approval keeps them pending, with no join link yet.
    answer = await client.add_registrant(
        made.id,
        email="r@example.org",
        first_name="R",
        webinar=True,
        extra={"country": "KH", "custom_questions": [{"title": "Gender", "value": "Woman"}]},
    )
    assert answer.join_url is None
    [pending] = await client.list_registrants(made.id, webinar=True, status="pending")
    assert (pending.country, pending.custom_questions[0].value) == ("KH", "Woman")


async def test_the_emulator_enforces_the_form_like_zoom(client, emulator) -> None:
    _, made = await converge(client, with_form(full_meeting_spec()), None)
    with pytest.raises(ZoomValidationError) as missing:
        await client.add_registrant(made.id, email="a@example.org", first_name="A")
    assert {f.field for f in missing.value.field_errors} == {"country", "custom_questions.Gender"}
    with pytest.raises(ZoomValidationError):
        await client.add_registrant(
            made.id,
            email="a@example.org",
            first_name="A",
            extra={"country": "KH", "custom_questions": [{"title": "Gender", "value": "Unlisted"}]},
        )
    with pytest.raises(ZoomValidationError):
        await client.update_registrant_questions(
            made.id, {"custom_questions": [{"title": "Q", "type": "single_radio", "answers": ["a", "b"]}]}
        )


async def test_registrants_come_back_across_pages_with_their_answers(client, emulator, captured, contract) -> None:
    _, made = await converge(client, with_form(full_meeting_spec()), None)
    for i in range(7):
        await client.add_registrant(
            made.id,
            email=f"p{i}@example.org",
            first_name=f"P{i}",
            extra={"country": "LA", "org": "IOM", "custom_questions": [{"title": "Gender", "value": "Man"}]},
        )
    captured.pairs.clear()
    rows = [r async for r in client.paginate(f"/meetings/{made.id}/registrants", "registrants", {"page_size": 3})]
    assert [r["email"] for r in rows] == [f"p{i}@example.org" for i in range(7)]
    pages = [rs.json() for rq, rs in captured.pairs if api_path(rq).endswith("/registrants")]
    assert len(pages) == 3 and pages[-1]["next_page_token"] == ""
    for rq, rs in captured.pairs:
        contract.validate_response("GET", api_path(rq), 200, rs.json())
    assert rows[0]["org"] == "IOM" and rows[0]["custom_questions"] == [{"title": "Gender", "value": "Man"}]


async def test_a_simulated_crowd_registers_on_the_form_and_joins_with_its_registrant_ids(
    client, emulator, emu_http, contract
) -> None:
    from datetime import timedelta

    from tests.zoom.test_contract import START

    _, made = await converge(client, with_form(full_meeting_spec()), None)
    answer = await emu_http.post(
        f"/_emulator/meetings/{made.id}/crowd",
        json={
            "n_participants": 8,
            "registrants": 10,
            "start": START.isoformat(),
            "end": (START + timedelta(hours=1)).isoformat(),
            "seed": 3,
        },
    )
    assert answer.status_code == 200 and answer.json()["registrants"] == 10
    registrants = await client.list_registrants(made.id)
    assert len(registrants) == 10
    for r in registrants:
        assert r.country and r.custom_questions[0].title == "Gender"
        assert r.custom_questions[0].value in FORM.custom_questions[0].answers
    ids = {r.email: r.id for r in registrants}
    rows = await client.list_past_participants(made.id)
    assert {row.user_email for row in rows} == {f"participant{i:03d}@example.org" for i in range(1, 9)}
    assert all(row.registrant_id == ids[row.user_email] for row in rows)  # the two others never came
    joined = [e for e in emulator.state.events if e["event"] == "meeting.participant_joined"]
    assert joined and all(e["payload"]["object"]["participant"]["registrant_id"] for e in joined)
