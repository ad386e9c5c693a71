"""A rehearsal may preview drafts, marked as drafts (issue 30): `showcaller rehearse --drafts` loads
an event whose Burmese target's catalog still has a fuzzy entry, and writes that entry's draft
prefixed `[DRAFT] ` (a missing string in English, prefixed `[DRAFT: English] `), while the live path
(`serve`, `load`, an upload) still refuses the file: the flag travels as a `CatalogSearch` value,
never as a global, and the compiled catalogs of the two are cached apart."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import write_po

from schedules.i18n import (
    DRAFT_ENGLISH_MARK,
    DRAFT_MARK,
    CatalogSearch,
    po_path,
    read_catalog,
    translations,
    words_for,
)
from schedules.load import load_text
from schedules.locales import Reader
from schedules.problems import Problem, ScheduleError
from tests.conftest import bangkok
from tests.fixtures import mekong_text
from tests.fixtures.receivers import Recorder

TEST_CATALOGS = Path(__file__).resolve().parents[1] / "data" / "catalogs"
MY_URL = "http://127.0.0.1:9/slack/delegates-my"
BURMESE = (
    "  - id: delegates-my\n    kind: slack\n    url_env: SHOWCALLER_SLACK_MY_URL\n    locale: my\n"
    "    filter: {kinds: [segment_start]}\n"
)
DRAFTED = "Now: {title}"  # the one fuzzy entry
MARKER = "စမ်းသပ် "  # the Burmese placeholder catalog's marker (tests/data/catalogs/make_placeholders.py)


def burmese_mekong() -> str:
    head, tail = mekong_text().split("\ntimers:", 1)
    return head.rstrip() + "\n" + BURMESE + "\ntimers:" + tail


def drafted_catalogs(root: Path, *, empty: str | None = None) -> Path:
    """The placeholder catalogs under `root`, the Burmese one with DRAFTED marked fuzzy (and `empty`
    left untranslated)."""
    shutil.copytree(TEST_CATALOGS, root, ignore=shutil.ignore_patterns("*.py"))
    path = po_path("my", root)
    catalog = read_catalog(path)
    catalog[DRAFTED].flags.add("fuzzy")
    if empty is not None:
        catalog[empty].string = ""
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0)
    return root


def test_a_preview_marks_drafts_and_missing_strings_and_the_live_catalog_never_has_them(tmp_path):
    root = drafted_catalogs(tmp_path / "catalogs", empty="Ends")
    live, preview = CatalogSearch.of(root), CatalogSearch.of(root, drafts=True)
    said = words_for(Reader("my"), live)
    assert said._(DRAFTED, title="Opening") == "Now: Opening"  # a draft is never read live
    assert said._("Ends") == "Ends" and said._("Announcement") == MARKER + "Announcement"
    shown = words_for(Reader("my"), preview)
    assert shown._(DRAFTED, title="Opening") == f"{DRAFT_MARK}{MARKER}Now: Opening"
    assert shown._("Ends") == DRAFT_ENGLISH_MARK + "Ends"
    assert shown._("Announcement") == MARKER + "Announcement"  # reviewed: unmarked
    # Cached apart: compiling the preview first leaves the live catalog without the draft.
    assert translations("my", live).gettext(DRAFTED) == DRAFTED
    assert words_for(Reader("en"), preview)._(DRAFTED, title="x") == "Now: x"  # English: the msgids


def test_the_load_warns_of_drafts_in_a_preview_and_refuses_them_otherwise(tmp_path):
    root = drafted_catalogs(tmp_path / "catalogs")
    with pytest.raises(ScheduleError) as caught:
        load_text(burmese_mekong(), "mekong.yaml", catalogs=CatalogSearch.of(root))
    assert f"'{DRAFTED}' (draft)" in caught.value.render() and "a draft is never sent" in caught.value.render()
    warned: list[Problem] = []
    schedule = load_text(
        burmese_mekong(), "mekong.yaml", catalogs=CatalogSearch.of(root, drafts=True), on_warning=warned.append
    )
    assert schedule.targets[-1].locale == "my"
    assert len(warned) == 1 and warned[0].path == ("targets", 5, "locale")
    assert "target 'delegates-my'" in warned[0].message and f"'{DRAFTED}' (draft)" in warned[0].message
    assert "marked as drafts in this rehearsal" in warned[0].message and "`serve` refuses" in warned[0].fix


def bodies(recorder: Recorder, path: str) -> list[dict]:
    return [json.loads(r.content) for r in recorder.requests if r.url.path == path]


def shown(body: dict) -> str:
    return body.get("text", "") + json.dumps(body.get("blocks", []), ensure_ascii=False)


async def run_opening(service_for, url: str, schedule: tuple[str, str], **kw) -> Recorder:
    """The event's first hour and a quarter, minute by minute, as the timer would fire it."""
    recorder = Recorder()
    service = await service_for(url, bangkok(13, 25), transport=recorder, schedule=schedule, **kw)
    while service.clock.now() < bangkok(14, 50):
        await service.advance(minutes=1)
    return recorder


async def test_rehearse_drafts_delivers_the_draft_marked_and_the_english_targets_unchanged(
    service_for, tmp_path, monkeypatch
):
    monkeypatch.setenv("SHOWCALLER_SLACK_MY_URL", MY_URL)
    monkeypatch.setenv("SHOWCALLER_CATALOGS", str(drafted_catalogs(tmp_path / "catalogs")))
    # As `showcaller rehearse --drafts` builds its service (app/rehearsal/rehearse.py).
    preview = await run_opening(
        service_for, f"sqlite+aiosqlite:///{tmp_path / 'p.db'}", (burmese_mekong(), "mekong.yaml"), drafts=True
    )
    sent = bodies(preview, "/slack/delegates-my")
    assert len(sent) == 4  # the four segments that start before 14:50
    for body in sent:
        text = shown(body)
        assert f"{DRAFT_MARK}{MARKER}Now: " in text, text[:300]
        # Exactly that entry is marked: every other string is the reviewed (placeholder) Burmese.
        assert text.count("[DRAFT") == text.count(f"{DRAFT_MARK}{MARKER}Now: "), text[:300]
        assert MARKER + "Ends" in text
    live = await run_opening(service_for, f"sqlite+aiosqlite:///{tmp_path / 'l.db'}", (mekong_text(), "mekong.yaml"))
    for path in ("/slack/hosts", "/teams/team", "/discord/speakers"):
        assert [shown(b) for b in bodies(preview, path)] == [shown(b) for b in bodies(live, path)], path
        assert bodies(live, path), path


async def test_the_live_service_refuses_the_draft(service_for, tmp_path, monkeypatch):
    """`serve` builds its service without drafts: no load, upload or restore can send one."""
    monkeypatch.setenv("SHOWCALLER_CATALOGS", str(drafted_catalogs(tmp_path / "catalogs")))
    service = await service_for(
        f"sqlite+aiosqlite:///{tmp_path / 's.db'}", bangkok(13, 25), schedule=None, tokens=["organiser"]
    )
    assert not service.runtime.catalogs.drafts and not service.runtime.worker.catalogs.drafts
    with pytest.raises(ScheduleError) as caught:
        await service.runtime.run.load_schedule(burmese_mekong(), "mekong.yaml")
    assert f"'{DRAFTED}' (draft)" in caught.value.render()
    answer = await service.client.post(
        "/api/events",
        content=burmese_mekong().encode(),
        headers={"content-type": "application/yaml", **service.auth("organiser")},
    )
    assert answer.status_code == 422 and f"'{DRAFTED}' (draft)" in answer.text


def test_a_rehearsal_with_drafts_prints_the_warning_and_shows_the_draft_marked(tmp_path, monkeypatch):
    """The rehearsal itself (`showcaller rehearse --drafts` calls it), at high speed, printing every
    message its local receivers get."""
    import asyncio
    import threading
    from io import StringIO

    from rich.console import Console

    from app.rehearsal.rehearse import rehearse

    monkeypatch.setenv("SHOWCALLER_CATALOGS", str(drafted_catalogs(tmp_path / "catalogs")))
    file = tmp_path / "mekong-my.yaml"
    file.write_text(burmese_mekong(), encoding="utf-8")
    out = StringIO()
    result: list = []

    async def run() -> object:
        return await rehearse(
            str(file),
            speed=2400,
            console=Console(file=out, width=200),
            port=18775,
            receivers_port=18776,
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'r.db'}",
            zoom=False,
            show_messages=True,
            drafts=True,
        )

    def thread() -> None:  # an event loop of its own, as the CLI runs it
        try:
            result.append(asyncio.run(run()))
        except BaseException as exc:  # noqa: BLE001 - raised again below, in the test's thread
            result.append(exc)

    runner = threading.Thread(target=thread)
    runner.start()
    runner.join()
    if isinstance(result[0], BaseException):
        raise result[0]
    text = out.getvalue()
    assert "Draft preview: " in text and "target 'delegates-my'" in text and f"'{DRAFTED}' (draft)" in text
    assert f"[Slack #delegates-my] {DRAFT_MARK}{MARKER}Now: " in text
    assert text.count("[DRAFT") == text.count(f"{DRAFT_MARK}{MARKER}Now: ")  # that entry only, that target only


def test_rehearse_and_demo_take_drafts_and_serve_does_not():
    from typer.testing import CliRunner

    import app.cli.run_cmds  # noqa: F401  (registers rehearse, demo and serve)
    from app.cli import app

    for command in ("rehearse", "demo"):
        assert "--drafts" in CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"}).output, command
    assert "--drafts" not in CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).output
