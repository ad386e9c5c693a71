"""Organiser-supplied catalogs outside the package (issue 30): SHOWCALLER_CATALOGS names a folder
whose catalogs are read before the shipped ones, by the load rules, the deliveries, the agenda and
presenter view, invites, run sheets, the pack and `showcaller locale init|check`."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import write_po
from typer.testing import CliRunner

import app.cli.locale_cmds  # noqa: F401  (registers `locale`, as app.cli.main does)
import app.cli.schedule_cmds  # noqa: F401  (registers `validate`)
from app.cli import app
from app.core.config import Settings, get_settings
from app.report.service import pack_words
from app.stage.runsheet import runsheet_html
from schedules.i18n import CATALOGS, TEMPLATE, CatalogSearch, po_path, read_catalog, words_for
from schedules.invites import person_words
from schedules.load import load_text
from schedules.locales import Reader
from tests.conftest import bangkok
from tests.fixtures import mekong_text
from tests.fixtures.receivers import Recorder

TEST_CATALOGS = Path(__file__).resolve().parents[1] / "data" / "catalogs"
THAI = "ทดสอบ "  # the Thai placeholder catalog's marker (tests/data/catalogs/make_placeholders.py)
TH_URL = "http://127.0.0.1:9/slack/delegates-th"
THAI_TARGET = (
    "  - id: delegates-th\n    kind: slack\n    url_env: SHOWCALLER_SLACK_TH_URL\n    locale: th\n"
    "    filter: {kinds: [segment_start]}\n"
)


def thai_mekong(target: str = THAI_TARGET) -> str:
    head, tail = mekong_text().split("\ntimers:", 1)
    return head.rstrip() + "\n" + target + "\ntimers:" + tail


@pytest.fixture
def organiser(tmp_path, monkeypatch) -> Iterator[Path]:
    """SHOWCALLER_CATALOGS naming a folder with a (placeholder) Thai catalog, nothing else."""
    root = tmp_path / "organiser-catalogs"
    (root / "th").parent.mkdir(parents=True)
    shutil.copytree(TEST_CATALOGS / "th", root / "th")
    monkeypatch.setenv("SHOWCALLER_CATALOGS", str(root))
    get_settings.cache_clear()
    yield root
    get_settings.cache_clear()


def fuzzy(root: Path, locale: str, msgid: str) -> None:
    path = po_path(locale, root)
    catalog = read_catalog(path)
    catalog[msgid].flags.add("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0)


def test_the_setting_puts_the_organisers_folder_first(organiser, tmp_path):
    search = Settings(_env_file=None).catalog_search()
    assert search == CatalogSearch((organiser, CATALOGS)) and not search.drafts
    assert search.available() == ["en", "fr", "th"]
    assert Settings(_env_file=None, catalogs=None).catalog_search() == CatalogSearch()
    # A locale in both: the organiser's wins.
    shutil.copytree(CATALOGS / "fr", organiser / "fr")
    path = po_path("fr", organiser)
    catalog = read_catalog(path)
    catalog["Announcement"].string = "Communiqué"
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0)
    assert words_for(Reader("fr"), search)._("Announcement") == "Communiqué"
    assert words_for(Reader("fr"))._("Announcement") == "Annonce"  # the shipped search is unchanged
    with pytest.raises(ValueError, match="is a file, not a folder"):
        Settings(_env_file=None, catalogs=TEMPLATE)


def test_every_other_reader_takes_the_organisers_catalog(organiser):
    search = get_settings().catalog_search()
    schedule = load_text(thai_mekong(), "mekong.yaml", catalogs=search)
    assert pack_words(schedule, "th", search).reader.locale == "th"
    assert pack_words(schedule, "th", search)._("Summary") == THAI + "Summary"
    with pytest.raises(ValueError, match="no catalog writes the pack in 'th'"):
        pack_words(schedule, "th")  # the shipped catalogs alone have no Thai
    person = schedule.people[0].model_copy(update={"locale": "th"})
    assert person_words(schedule, person, search)._("Moderators: {people}", people="A") == THAI + "Moderators: A"
    thai_event = schedule.model_copy(update={"event": schedule.event.model_copy(update={"language": "th"})})
    sheet = runsheet_html(thai_event, "nilim-baruah", search)
    assert 'lang="th"' in sheet and THAI in sheet


async def test_a_thai_target_is_sent_the_organisers_words_and_so_are_the_pages(
    organiser, service_for, tmp_path, monkeypatch
):
    monkeypatch.setenv("SHOWCALLER_SLACK_TH_URL", TH_URL)
    recorder = Recorder()
    service = await service_for(
        f"sqlite+aiosqlite:///{tmp_path / 'th.db'}",
        bangkok(13, 25),
        transport=recorder,
        schedule=(thai_mekong(), "mekong.yaml"),
    )
    while service.clock.now() < bangkok(14, 5):
        await service.advance(minutes=1)
    sent = [json.loads(r.content) for r in recorder.requests if r.url.path == "/slack/delegates-th"]
    assert sent and all(body["text"].startswith(THAI) for body in sent), sent[:1]
    agenda = await service.client.get("/agenda/mekong-dialogue-2022?lang=th")
    assert agenda.status_code == 200 and THAI + "Agenda" in agenda.text
    stage = await service.client.get("/stage/mekong-dialogue-2022?lang=th")
    assert stage.status_code == 200 and THAI in stage.text


def test_a_fuzzy_entry_in_the_organisers_catalog_is_refused_at_load(organiser):
    fuzzy(organiser, "th", "Now: {title}")
    file = organiser.parent / "mekong-th.yaml"
    file.write_text(thai_mekong(), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(file)])
    assert result.exit_code == 2
    assert "target 'delegates-th'" in result.output and "'Now: {title}' (draft)" in result.output


def test_locale_init_and_check_default_to_the_setting(organiser):
    result = CliRunner().invoke(app, ["locale", "check", "th"])
    assert result.exit_code == 0, result.output
    assert str(po_path("th", organiser)) in result.output and "0 fuzzy, 0 missing" in result.output
    fuzzy(organiser, "th", "Announcement")
    result = CliRunner().invoke(app, ["locale", "check", "th"])
    assert result.exit_code == 1 and "fuzzy (a draft: never sent): 'Announcement'" in result.output
    result = CliRunner().invoke(app, ["locale", "init", "lo"])
    assert result.exit_code == 0, result.output
    assert po_path("lo", organiser).exists() and not po_path("lo", CATALOGS).exists()
    result = CliRunner().invoke(app, ["locale", "check", "lo"])
    assert result.exit_code == 1 and str(po_path("lo", organiser)) in result.output
