"""An undo's correction in each target's locale (issue 30): the French target reads where the event
stands and what to disregard in French, quoting the title it was sent in French; the English
targets get the correction they always got."""

from __future__ import annotations

import json

from tests.conftest import bangkok
from tests.fixtures.receivers import Recorder
from tests.locales.test_french_target_acceptance import FR_URL, french_mekong

EVENT = "mekong-dialogue-2022"
ENGLISH_CORRECTION = (
    "Correction: Session 1: Preparing for safe migration is still running; "
    "please disregard 'Now: Open discussion (Session 1)'."
)


async def test_a_correction_reaches_the_french_target_in_french(service_for, database_url, monkeypatch):
    monkeypatch.setenv("SHOWCALLER_SLACK_FR_URL", FR_URL)
    recorder = Recorder()
    service = await service_for(
        database_url, bangkok(14, 39), transport=recorder, schedule=(french_mekong(), "mekong-fr.yaml"), tokens=["host"]
    )
    await service.advance(minutes=1)
    answer = await service.client.post(
        f"/api/events/{EVENT}/advance", json={"from": "session-1"}, headers=service.auth()
    )
    assert answer.status_code in (200, 201), answer.text
    await service.advance(seconds=20)
    recorder.requests.clear()
    undone = await service.client.post(
        f"/api/events/{EVENT}/undo", json={"seq": answer.json()["seq"]}, headers=service.auth()
    )
    assert undone.status_code == 200, undone.text
    await service.advance(seconds=20)
    sent = {r.url.path: r.content.decode() for r in recorder.requests}
    french = json.loads(sent["/slack/delegates-fr"])
    text = json.dumps(french, ensure_ascii=False)
    nb = "\u00a0"
    assert f"Rectificatif{nb}: Session 1: Preparing for safe migration{nb}: toujours en cours" in text
    # It quotes the headline as the French target was sent it ("En cours : ..."), not the English one.
    assert f"merci de ne pas tenir compte de «{nb}En cours{nb}: Open discussion (Session 1){nb}»." in text, text
    assert "Correction:" not in text and "please disregard" not in text
    english = [body for path, body in sent.items() if path != "/slack/delegates-fr"]
    assert len(english) == 5  # one correction to each English target, as before
    assert all(ENGLISH_CORRECTION in body for body in english), english
