"""Personal presenter links: made once per stage person and shown only then (stored hashed), rotated
and revoked by organisers."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from app.store import tokens_repo
from app.store.tables import api_tokens
from tests.stage.conftest import EVENT

URL = f"/api/events/{EVENT}/stage"


def _token(link: str) -> str:
    parts = urlsplit(link)
    assert parts.path == f"/stage/{EVENT}" and parts.fragment.startswith("token=sc_")
    return parts.fragment.removeprefix("token=")


async def _opens(live, token: str) -> int:
    return (await live.client.get(URL, headers={"Authorization": f"Bearer {token}"})).status_code


async def _panel_row(live, person: str) -> dict:
    panel = (await live.client.get(f"{URL}/panel", headers=live.auth("host"))).json()
    return next(p for p in panel["people"] if p["person"] == person)


async def test_links_are_shown_once_when_made_and_stored_only_hashed(live):
    assert (await live.client.post(f"{URL}/links", headers=live.auth("viewer"))).status_code == 403
    made = (await live.client.post(f"{URL}/links", headers=live.auth("host"))).json()
    # 11 named people plus the 6 named respondents; respondent-1 already had a link from the fixture,
    # so theirs is listed (when it was made) but not shown.
    assert len(made) == 17 and [m["created"] for m in made].count(False) == 1
    old = next(m for m in made if m["person"] == "respondent-1")
    assert old["link"] is None and old["made_at"] == "2022-05-30T07:36:00Z"
    assert all(m["link"] for m in made if m["created"])
    link = next(m["link"] for m in made if m["person"] == "nilim-baruah")
    assert urlsplit(link).query == "person=nilim-baruah"
    token = _token(link)
    mine = await live.client.get(URL, headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 200 and mine.json()["person"]["id"] == "nilim-baruah"
    # The link opens nothing else, not even the read-only state.
    state = await live.client.get(f"/api/events/{EVENT}/state", headers={"Authorization": f"Bearer {token}"})
    assert state.status_code == 403

    # Asked again: nothing new is made and no link is shown again, to anyone.
    again = (await live.client.post(f"{URL}/links", headers=live.auth("host"))).json()
    assert not any(m["created"] or m["link"] for m in again) and len(again) == 17
    for role in ("viewer", "host", "organiser"):
        panel = (await live.client.get(f"{URL}/panel", headers=live.auth(role))).json()
        assert len(panel["people"]) == 17 and all(p["has_link"] and p["link_made_at"] for p in panel["people"])
        assert "sc_" not in str(panel)
    # At rest: only the hash; no column holds the token.
    async with live.runtime.db.begin() as conn:
        rows = (await conn.execute(select(api_tokens).where(api_tokens.c.person.is_not(None)))).all()
        assert len(rows) == 17 and not any(token in str(tuple(row)) for row in rows)
        assert (await tokens_repo.find_token(conn, token)).person == "nilim-baruah"


async def test_an_organiser_rotates_a_lost_link_and_the_old_one_stops_working(live):
    made = (await live.client.post(f"{URL}/links", headers=live.auth("host"))).json()
    old = _token(next(m["link"] for m in made if m["person"] == "nilim-baruah"))
    rotate = f"{URL}/links/nilim-baruah/rotate"
    assert (await live.client.post(rotate, headers=live.auth("host"))).status_code == 403
    answer = await live.client.post(rotate, headers=live.auth("organiser"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["person"] == "nilim-baruah" and body["created"] and body["revoked"] == 1
    new = _token(body["link"])
    assert new != old and await _opens(live, old) == 401 and await _opens(live, new) == 200
    row = await _panel_row(live, "nilim-baruah")
    assert row["has_link"] and "link" not in row
    # Someone without a link gets their first one; an unknown person has none to rotate.
    await live.client.delete(f"{URL}/links/geertrui-lanneau", headers=live.auth("organiser"))
    first = (await live.client.post(f"{URL}/links/geertrui-lanneau/rotate", headers=live.auth("organiser"))).json()
    assert first["revoked"] == 0 and await _opens(live, _token(first["link"])) == 200
    missing = await live.client.post(f"{URL}/links/nobody/rotate", headers=live.auth("organiser"))
    assert missing.status_code == 404 and "'nobody' does not take the stage" in missing.json()["reason"]


async def test_a_revoked_link_stops_working_and_the_next_one_is_new(live):
    made = (await live.client.post(f"{URL}/links", headers=live.auth("host"))).json()
    token = _token(next(m["link"] for m in made if m["person"] == "nilim-baruah"))
    assert (await live.client.delete(f"{URL}/links/nilim-baruah", headers=live.auth("host"))).status_code == 403
    revoked = await live.client.delete(f"{URL}/links/nilim-baruah", headers=live.auth("organiser"))
    assert revoked.status_code == 200 and revoked.json()["revoked"] == 1
    assert await _opens(live, token) == 401
    row = await _panel_row(live, "nilim-baruah")
    assert row["has_link"] is False and row["link_made_at"] is None
    fresh = (await live.client.post(f"{URL}/links", headers=live.auth("host"))).json()
    again = next(m for m in fresh if m["person"] == "nilim-baruah")
    assert again["created"] and _token(again["link"]) != token
    missing = await live.client.delete(f"{URL}/links/nilim-baruah-x", headers=live.auth("organiser"))
    assert missing.status_code == 404
