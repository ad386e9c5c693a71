"""Registrants in the store (both databases), fetched after the event by the reconciler, and the pack
over REST: hosts download it, viewers cannot."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import update

from app.attendance.reconcile import Reconciler
from app.store import registrants_repo, tokens_repo
from app.store.registrants_repo import RegistrantRow
from app.store.tables import zoom_objects
from integrations.zoom import ZoomNotFound
from integrations.zoom.models import PastParticipant, Registrant
from integrations.zoom_emulator.payloads import Person
from tests.attendance.conftest import EVENT, MEETING_ID, UUID, start_harness
from tests.conftest import bangkok

ANA = Person("Ana Lima", "ana.lima@example.org", "G-A", registrant_id="rA")
NILIM = Person("Nilim Baruah", "nilim.baruah@example.org", "G-N")


def registrant(rid: str, email: str, first: str, country: str, status: str = "approved") -> Registrant:
    return Registrant.model_validate(
        {
            "id": rid,
            "email": email,
            "first_name": first,
            "last_name": "Test",
            "status": status,
            "country": country,
            "org": "IOM",
            "job_title": "Researcher",
            "create_time": "2022-05-20T03:00:00Z",
            "custom_questions": [{"title": "Gender", "value": "Woman"}],
        }
    )


class FakeZoom:
    """What Zoom lists after the meeting: past participants and registrants by status."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def list_past_participants(self, uuid, webinar=False):
        self.calls.append(f"participants {uuid}")
        return [
            PastParticipant(
                user_id="1",
                name="Ana Lima",
                user_email="ana.lima@example.org",
                registrant_id="rA",
                join_time=bangkok(14, 0),
                leave_time=bangkok(15, 0),
                duration=3600,
            )
        ]

    async def past_poll_results(self, uuid, webinar=False):
        self.calls.append(f"polls {uuid}")
        raise ZoomNotFound("Meeting Poll not found.", status=404, code=404)  # this meeting ran no poll

    async def list_registrants(self, meeting_id, webinar=False, status="approved"):
        self.calls.append(f"registrants {status}")
        if status == "approved":
            return [registrant("rA", "ana.lima@example.org", "Ana", "KH"), registrant("rB", "b@example.org", "B", "LA")]
        if status == "pending":
            return [registrant("rC", "c@example.org", "C", "TH", "pending")]
        return []


async def test_registrants_are_stored_and_replaced(harness) -> None:
    db, now = harness.runtime.db, harness.clock.now()
    rows = [
        RegistrantRow("r1", "approved", "a@example.org", "A", "One", {"country": "KH"}, {"Gender": "Man"}, now),
        RegistrantRow("r2", "pending", None, "B", None, {}, {}, None),
    ]
    async with db.begin() as conn:
        assert await registrants_repo.replace_registrants(conn, MEETING_ID, rows, now) == 2
    async with db.begin() as conn:
        back = await registrants_repo.registrants_for_meeting(conn, MEETING_ID)
        assert await registrants_repo.fetched_at(conn, MEETING_ID) == now
    assert back == rows
    async with db.begin() as conn:
        await registrants_repo.replace_registrants(conn, MEETING_ID, rows[1:], now + timedelta(hours=1))
        assert [r.registrant_id for r in await registrants_repo.registrants_for_meeting(conn, MEETING_ID)] == ["r2"]


async def test_after_the_meeting_the_reconciler_also_fetches_registrants(harness) -> None:
    db = harness.runtime.db
    async with db.begin() as conn:
        await conn.execute(update(zoom_objects).values(applied_spec={"registration": True}))
    zoom = FakeZoom()
    reconciler = Reconciler(db, harness.clock.now, lambda: zoom, delay=timedelta(0))
    await reconciler.request(UUID, MEETING_ID, "meeting")
    assert await reconciler.run_due() == 1
    assert zoom.calls == ["participants " + UUID, "registrants approved", "registrants pending", "registrants denied"]
    async with db.begin() as conn:
        stored = await registrants_repo.registrants_for_meeting(conn, MEETING_ID)
    assert {(r.registrant_id, r.status, r.fields["country"], r.answers["Gender"]) for r in stored} == {
        ("rA", "approved", "KH", "Woman"),
        ("rB", "approved", "LA", "Woman"),
        ("rC", "pending", "TH", "Woman"),
    }


async def test_hosts_download_the_pack_viewers_cannot(harness) -> None:
    h = harness
    async with h.runtime.db.begin() as conn:
        await registrants_repo.replace_registrants(
            conn,
            MEETING_ID,
            [
                RegistrantRow("rA", "approved", ANA.email, "Ana", "Lima", {"country": "KH"}, {"Gender": "Woman"}),
                RegistrantRow("rB", "approved", "b@example.org", "B", "Test", {"country": "KH"}, {"Gender": "Man"}),
            ],
            h.clock.now(),
        )
        _, host = await tokens_repo.create_token(conn, "host-test", "host", h.clock.now())
        _, viewer = await tokens_repo.create_token(conn, "viewer-test", "viewer", h.clock.now())
    await h.post(h.lifecycle("started", bangkok(13, 30)))
    await h.post(h.join(ANA, "1", bangkok(14, 0)))
    await h.post(h.join(NILIM, "2", bangkok(14, 5)))
    await h.post(h.join(ANA, "1", bangkok(15, 0), what="participant_left"))
    h.clock.set(bangkok(18, 0))
    await h.runtime.attendance.drain()
    url = f"/api/events/{EVENT}/pack"
    assert (await h.client.get(url, params={"format": "json"})).status_code == 401
    refused = await h.client.get(url, params={"format": "json"}, headers={"authorization": f"Bearer {viewer}"})
    assert refused.status_code == 403 and "reason" in refused.json()
    auth = {"authorization": f"Bearer {host}"}
    answer = await h.client.get(url, params={"format": "json"}, headers=auth)
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == f'attachment; filename="{EVENT}-report.json"'
    pack = answer.json()
    assert (pack["summary"]["registered"], pack["summary"]["attended"], pack["summary"]["participants"]) == (2, 1, 2)
    assert pack["matching"]["registrant_id"] == 1 and pack["matching"]["on_agenda"] == 1
    assert ANA.email not in answer.text and "Ana Lima" not in answer.text
    table = await h.client.get(url, params={"format": "csv"}, headers=auth)
    assert table.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(table.text)))
    assert rows[0] == ["section", "item", "measure", "value"] and ["summary", "", "registered", "2"] in rows
    personal = await h.client.get(url, params={"format": "html", "personal": "true"}, headers=auth)
    assert "CONTAINS PERSONAL DATA" in personal.text and ANA.email in personal.text
    assert personal.headers["content-disposition"].endswith('-report-personal.html"')
    bad = await h.client.get(url, params={"format": "docx"}, headers=auth)
    assert bad.status_code == 422
    # ?lang= writes the page's headings and labels in that locale (issue 30); the data stays as it is.
    french = await h.client.get(url, params={"format": "html", "lang": "fr"}, headers=auth)
    assert french.status_code == 200 and '<html lang="fr">' in french.text
    assert '<h2 id="summary">Synthèse</h2>' in french.text and "Summary" not in french.text
    english = await h.client.get(url, params={"format": "html"}, headers=auth)
    assert '<html lang="en">' in english.text and '<h2 id="summary">Summary</h2>' in english.text
    for lang in ("xx-nowhere", "de"):  # not a locale CLDR knows; no catalog writes German
        refused = await h.client.get(url, params={"format": "html", "lang": lang}, headers=auth)
        assert refused.status_code == 422 and refused.json()["reason"].startswith("lang: "), refused.text


async def test_on_demand_fetch_reads_registrants_and_every_ended_instance(harness) -> None:
    from app.attendance.registrants import fetch_records

    h = harness
    async with h.runtime.db.begin() as conn:
        await conn.execute(update(zoom_objects).values(applied_spec={"registration": True}))
    await h.post(h.lifecycle("started", bangkok(13, 30)))
    await h.post(h.lifecycle("ended", bangkok(17, 30)))
    await h.runtime.attendance.drain()
    zoom = FakeZoom()
    fetched = await fetch_records(h.runtime.db, zoom, EVENT, h.clock.now())
    assert fetched is not None
    assert (fetched.registrants, fetched.instances, fetched.participant_rows) == (3, 1, 1)
    attendance = await h.runtime.attendance.attendance(EVENT)
    assert [p.registrant_ids for p in attendance.participants] == [("rA",)]
    assert await fetch_records(h.runtime.db, zoom, "no-such-event", h.clock.now()) is None


async def test_hosts_fetch_the_records_on_demand_over_rest(database_url, settings_for, receiver_env) -> None:
    zoom = FakeZoom()
    h = await start_harness(database_url, settings_for, receiver_env, bangkok(13, 30), zoom_client_factory=lambda: zoom)
    try:
        await _fetch_over_rest(h)
    finally:
        await h.client.aclose()
        await h.runtime.stop()


async def _fetch_over_rest(h) -> None:
    async with h.runtime.db.begin() as conn:
        await conn.execute(update(zoom_objects).values(applied_spec={"registration": True}))
        _, host = await tokens_repo.create_token(conn, "host-test", "host", h.clock.now())
        _, viewer = await tokens_repo.create_token(conn, "viewer-test", "viewer", h.clock.now())
    await h.post(h.lifecycle("started", bangkok(13, 30)))
    await h.post(h.lifecycle("ended", bangkok(17, 30)))
    await h.runtime.attendance.drain()
    url = f"/api/events/{EVENT}/pack/fetch"
    assert (await h.client.post(url, headers={"authorization": f"Bearer {viewer}"})).status_code == 403
    answer = await h.client.post(url, headers={"authorization": f"Bearer {host}"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"registrants": 3, "instances": 1, "participant_rows": 1}
    pack = await h.client.get(f"/api/events/{EVENT}/pack?format=json", headers={"authorization": f"Bearer {host}"})
    assert pack.json()["summary"]["registered"] == 3 and pack.json()["summary"]["attended"] == 1
