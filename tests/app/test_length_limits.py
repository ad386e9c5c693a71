"""Length limits are declared once (schedules/limits.py), feed both the store's columns and the
schedule model, and are enforced before the store: SQLite and PostgreSQL give the same answer."""

from __future__ import annotations

import pytest
import yaml

from app.store import tokens_repo
from app.store.tables import api_tokens, cues, events, run_log
from schedules import limits
from schedules.load import load_text
from schedules.model import Event, Person, Segment
from schedules.problems import ScheduleError
from tests.fixtures import EVENT, mekong_text

UPLOAD = {"content-type": "application/yaml"}


def _edited(edit) -> str:
    doc = yaml.safe_load(mekong_text())
    edit(doc)
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def _max_length(model, field: str) -> int:
    return next(m.max_length for m in model.model_fields[field].metadata if hasattr(m, "max_length"))


def test_the_model_and_the_columns_take_one_declaration():
    assert events.c.title.type.length == cues.c.title.type.length == limits.TITLE
    assert _max_length(Event, "title") == _max_length(Segment, "title") == _max_length(Person, "name") == limits.TITLE
    assert events.c.id.type.length == api_tokens.c.person.type.length == limits.ID
    assert f"{{0,{limits.ID - 1}}}" in Event.model_json_schema()["properties"]["id"]["pattern"]
    assert events.c.source.type.length == limits.SOURCE
    assert api_tokens.c.name.type.length == run_log.c.actor.type.length == limits.TOKEN_NAME


@pytest.fixture
async def organiser(database_url, service_for):
    from tests.fixtures import bangkok

    return await service_for(database_url, bangkok(9, 0), schedule=None, tokens=["organiser"], login="organiser")


async def test_a_schedule_name_over_the_limit_is_refused_on_both_databases(organiser):
    client = organiser.client
    longest = "n" * (limits.SOURCE - 5) + ".yaml"
    loaded = await client.post("/api/events", content=mekong_text(), headers={**UPLOAD, "x-schedule-name": longest})
    assert loaded.status_code == 201, loaded.text
    assert loaded.json()["source"] == longest  # kept whole, as it was given

    over = "n" * (limits.SOURCE - 4) + ".yaml"
    refused = await client.post("/api/events", content=mekong_text(), headers={**UPLOAD, "x-schedule-name": over})
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["problems"]
    assert problem["message"] == "the file's name is 501 characters; at most 500 are kept"
    assert problem["fix"] == "rename the file, or send a shorter X-Schedule-Name" and problem["line"] == 1
    assert problem["file"].startswith("nnn") and problem["file"].endswith("…") and len(problem["file"]) == 80
    listed = (await client.get("/api/events")).json()
    assert [e["source"] for e in listed] == [longest]  # the refused upload changed nothing


async def test_titles_and_names_over_the_limit_are_refused_with_their_line(organiser):
    def long_title(doc):
        doc["event"]["title"] = "T" * (limits.TITLE + 1)
        doc["segments"][1]["title"] = "S" * (limits.TITLE + 1)
        doc["people"][0]["name"] = "P" * (limits.TITLE + 1)

    text = _edited(long_title)
    refused = await organiser.client.post("/api/events", content=text, headers={**UPLOAD, "x-schedule-name": "t.yaml"})
    assert refused.status_code == 422, refused.text
    problems = {p["path"]: p for p in refused.json()["problems"]}
    lines = text.splitlines()
    for path, letter in (("event.title", "T"), ("segments[1].title", "S"), ("people[0].name", "P")):
        problem = problems[path]
        assert problem["message"] == "too long (at most 300)" and problem["fix"] == "shorten it to 300 or fewer"
        assert problem["file"] == "t.yaml" and letter * 301 in lines[problem["line"] - 1]


async def test_the_longest_titles_and_names_are_stored_whole_and_cues_fit(organiser):
    """At the limit everything is kept; the titles the service composes around them are cut to fit."""

    def longest(doc):
        doc["event"]["title"] = "T" * limits.TITLE
        doc["segments"][1]["title"] = "S" * limits.TITLE
        for person in doc["people"]:
            person["name"] = person["name"] + " " + "P" * (limits.TITLE - len(person["name"]) - 1)

    loaded = await organiser.client.post(
        "/api/events", content=_edited(longest), headers={**UPLOAD, "x-schedule-name": "long.yaml"}
    )
    assert loaded.status_code == 201, loaded.text
    assert loaded.json()["title"] == "T" * limits.TITLE
    planned = (await organiser.client.get(f"/api/events/{EVENT}/cues")).json()
    titles = [c["title"] for c in planned]
    assert titles and all(len(t) <= limits.TITLE for t in titles)
    assert f"Now: {'S' * (limits.TITLE - 6)}…" in titles  # 'Now: ' + the title, cut to 300
    links = await organiser.client.post(f"/api/events/{EVENT}/stage/links")
    assert links.status_code == 200, links.text
    async with organiser.runtime.db.begin() as conn:
        names = [row.name for row in await tokens_repo.list_tokens(conn) if row.person]
    assert names and all(len(n) == limits.TOKEN_NAME and n.startswith("stage: ") for n in names)


async def test_a_token_name_over_the_limit_is_refused_before_the_store(organiser):
    async with organiser.runtime.db.begin() as conn:
        with pytest.raises(ValueError, match="the token name is 101 characters; at most 100 are kept"):
            await tokens_repo.create_token(conn, "x" * 101, "host", organiser.clock.now())
        _, token = await tokens_repo.create_token(conn, "x" * 100, "host", organiser.clock.now())
        assert (await tokens_repo.find_token(conn, token)).name == "x" * 100


def test_a_zoom_host_email_longer_than_its_column_is_a_located_problem():
    host = "h" * 60 + "@" + ".".join(["zoom" * 15] * 3) + ".org"  # a valid address of 247 characters

    def long_host(doc):
        doc["zoom"]["host"] = host

    text = _edited(long_host)
    with pytest.raises(ScheduleError) as refused:
        load_text(text, "host.yaml")
    [problem] = refused.value.problems
    assert problem.path == ("zoom", "host") and host in text.splitlines()[problem.line - 1]
    assert problem.message == f"too long (at most {limits.ZOOM_HOST})"
