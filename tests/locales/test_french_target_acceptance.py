"""Issue 30's acceptance, end to end through the service: the Mekong event with one more Slack
target in French (a hosts target, so it gets every kind) runs from set-up to the end with a timer,
a delay and an announcement; every message that target receives is French, nothing falls back to
English, and the English targets get exactly what they would without it."""

from __future__ import annotations

import json

from schedules.cue_words import ANNOUNCEMENT
from tests.conftest import bangkok
from tests.fixtures import mekong_text
from tests.fixtures.receivers import Recorder

FR_URL = "http://127.0.0.1:9/slack/delegates-fr"
FRENCH_TARGET = (
    "  - id: delegates-fr\n    kind: slack\n    url_env: SHOWCALLER_SLACK_FR_URL\n    hosts: true\n    locale: fr\n"
)
REMINDERS_FR = {
    "      hide non-video participants, and take the screenshot right after the opening remarks.\n": (
        "    titles: {fr: Photo de groupe (capture d’écran)}\n"
        '    messages: {fr: "Photo de groupe dans 3 minutes : caméras allumées, vue galerie, capture d’écran."}\n'
    ),
    '      to rename themselves "Name (Country/Organisation)", and check speakers\' audio and video.\n': (
        "    titles: {fr: Inscriptions ouvertes}\n"
        '    messages: {fr: "Les inscriptions sont ouvertes : admettez les participants de la salle d’attente."}\n'
    ),
}
# Words of the English templates that must never reach the French target.
ENGLISH = [
    " is starting.",
    "Now: ",
    " min left",
    "Ended: ",
    "Respondent ",
    "Readiness: ",
    " has ended",
    "Ends",
    "Next",
    "Open poll",  # the hosts' reminder for the Mekong poll (Zoom cannot launch one)
    "Poll: ",
]


def french_mekong() -> str:
    text = mekong_text()
    for anchor, extra in REMINDERS_FR.items():
        assert anchor in text
        text = text.replace(anchor, anchor + extra)
    head, tail = text.split("\ntimers:", 1)
    return head.rstrip() + "\n" + FRENCH_TARGET + "\ntimers:" + tail


async def run_event(service_for, sqlite_url, monkeypatch, schedule) -> Recorder:
    monkeypatch.setenv("SHOWCALLER_SLACK_FR_URL", FR_URL)
    recorder = Recorder()
    service = await service_for(sqlite_url, bangkok(13, 25), transport=recorder, schedule=schedule, tokens=["host"])
    client, auth = service.client, service.auth()
    # Minute by minute, as the timer would: every cue fires on time.
    while service.clock.now() < bangkok(14, 20):
        await service.advance(minutes=1)
    answer = await client.post(
        "/api/events/mekong-dialogue-2022/timers",
        json={"seconds": 180, "label": "Répondant 1", "segment": "session-1", "slot": 1},
        headers=auth,
    )
    assert answer.status_code in (200, 201), answer.text
    answer = await client.post("/api/events/mekong-dialogue-2022/delay", json={"minutes": 4}, headers=auth)
    assert answer.status_code in (200, 201), answer.text
    answer = await client.post(
        "/api/events/mekong-dialogue-2022/announcements", json={"message": "Le café est servi."}, headers=auth
    )
    assert answer.status_code in (200, 201), answer.text
    while service.clock.now() < bangkok(17, 40):
        await service.advance(seconds=30)
    return recorder


def bodies(recorder: Recorder, path: str) -> list[dict]:
    return [json.loads(r.content) for r in recorder.requests if r.url.path == path]


async def test_the_french_target_reads_french_and_the_english_targets_are_unchanged(
    database_url, service_for, monkeypatch, tmp_path
):
    """One French run per database (SQLite, PostgreSQL), compared with one English run on SQLite
    (each run is the whole afternoon: one test per database keeps it to two runs, not three)."""
    french = await run_event(service_for, database_url, monkeypatch, (french_mekong(), "mekong-fr.yaml"))
    sent = bodies(french, "/slack/delegates-fr")
    assert len(sent) >= 20
    for body in sent:
        text = body["text"] + json.dumps(body.get("blocks", []), ensure_ascii=False)
        leaked = [w for w in ENGLISH if w in text]
        assert not leaked, (leaked, text[:300])
    everything = "\n".join(b["text"] for b in sent)
    for words in (
        "En cours\u00a0:",
        "Fin\u00a0:",
        "Préparation\u00a0:",
        "Retard\u00a0:",
        "Photo de groupe",
        "heure d’Indochine",
        "Ouvrez maintenant le sondage",
    ):
        assert words in everything or words in json.dumps(sent, ensure_ascii=False), words
    assert ANNOUNCEMENT not in everything

    english = await run_event(
        service_for, f"sqlite+aiosqlite:///{tmp_path / 'en.db'}", monkeypatch, (mekong_text(), "mekong.yaml")
    )
    for path in ("/slack/hosts", "/teams/team", "/discord/speakers"):
        left = [
            (b.get("text"), b.get("blocks") or b.get("attachments") or b.get("embeds")) for b in bodies(french, path)
        ]
        right = [
            (b.get("text"), b.get("blocks") or b.get("attachments") or b.get("embeds")) for b in bodies(english, path)
        ]
        assert left == right and left, path
