"""Personal presenter links: made once per stage person, shown again to hosts, revocable by organisers."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.stage.conftest import EVENT


async def test_links_are_made_once_shown_to_hosts_and_revocable(live):
    url = f"/api/events/{EVENT}/stage"
    assert (await live.client.post(f"{url}/links", headers=live.auth("viewer"))).status_code == 403
    made = (await live.client.post(f"{url}/links", headers=live.auth("host"))).json()
    # 11 named people plus the 6 named respondents; respondent-1 already had a link from the fixture.
    assert len(made) == 17 and [m["created"] for m in made].count(False) == 1
    again = (await live.client.post(f"{url}/links", headers=live.auth("host"))).json()
    assert [m["link"] for m in again] == [m["link"] for m in made] and not any(m["created"] for m in again)
    link = next(m["link"] for m in made if m["person"] == "nilim-baruah")
    parts = urlsplit(link)
    assert parts.path == f"/stage/{EVENT}" and parts.query == "person=nilim-baruah"
    token = parts.fragment.removeprefix("token=")
    mine = await live.client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 200 and mine.json()["person"]["id"] == "nilim-baruah"
    # The link opens nothing else, not even the read-only state.
    state = await live.client.get(f"/api/events/{EVENT}/state", headers={"Authorization": f"Bearer {token}"})
    assert state.status_code == 403

    host_panel = (await live.client.get(f"{url}/panel", headers=live.auth("host"))).json()
    viewer_panel = (await live.client.get(f"{url}/panel", headers=live.auth("viewer"))).json()
    assert host_panel["presets"] == ["Please wrap up", "30 seconds", "Time is up"]
    row = next(p for p in host_panel["people"] if p["person"] == "nilim-baruah")
    assert row["link"] == link and row["has_link"] and row["connected"] == 0
    assert all(p["link"] is None for p in viewer_panel["people"]) and len(viewer_panel["people"]) == 17

    assert (await live.client.delete(f"{url}/links/nilim-baruah", headers=live.auth("host"))).status_code == 403
    revoked = await live.client.delete(f"{url}/links/nilim-baruah", headers=live.auth("organiser"))
    assert revoked.status_code == 200 and revoked.json()["revoked"] == 1
    gone = await live.client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401
    row = next(
        p
        for p in (await live.client.get(f"{url}/panel", headers=live.auth("host"))).json()["people"]
        if p["person"] == "nilim-baruah"
    )
    assert row["has_link"] is False and row["link"] is None
    fresh = (await live.client.post(f"{url}/links", headers=live.auth("host"))).json()
    assert next(m for m in fresh if m["person"] == "nilim-baruah")["link"] != link
    missing = await live.client.delete(f"{url}/links/nilim-baruah-x", headers=live.auth("organiser"))
    assert missing.status_code == 404
