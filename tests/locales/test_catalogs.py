"""Catalogs the standard way (issue 30): the committed template is the extraction, every shipped
catalog has every string, French is complete and reviewed, fuzzy drafts are compiled out, and
`showcaller locale check` fails on a draft, a missing entry and a mismatched placeholder."""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.pofile import read_po, write_po
from typer.testing import CliRunner

import app.cli.locale_cmds  # noqa: F401  (registers `locale`, as app.cli.main does)
from app.cli import app
from app.cli.locale_cmds import extract_template
from schedules.catalog_check import check_locale
from schedules.i18n import CATALOGS, TEMPLATE, compile_catalog, po_path, read_catalog, translations

ROOT = Path(__file__).resolve().parents[2]
TEST_CATALOGS = ROOT / "tests" / "data" / "catalogs"


def _ids(path: Path) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in read_catalog(path) if m.id}


def test_the_committed_template_is_what_pybabel_extracts(tmp_path):
    fresh = tmp_path / "showcaller.pot"
    extract_template(fresh)
    assert fresh.read_text(encoding="utf-8") == TEMPLATE.read_text(encoding="utf-8"), (
        "a string changed: run `showcaller locale extract` and translate what it marks"
    )


def test_every_shipped_and_test_catalog_has_exactly_the_templates_strings():
    wanted = _ids(TEMPLATE)
    assert len(wanted) > 40
    for path in [*CATALOGS.glob("*/LC_MESSAGES/*.po"), *TEST_CATALOGS.glob("*/LC_MESSAGES/*.po")]:
        assert _ids(path) == wanted, path


def test_french_is_complete_reviewed_and_well_formed():
    template = read_catalog(TEMPLATE)
    report = check_locale("fr", CATALOGS, template)
    assert report.ok and report.total == len(_ids(TEMPLATE)), report


def test_test_catalogs_say_they_are_test_data():
    for path in TEST_CATALOGS.glob("*/LC_MESSAGES/*.po"):
        assert path.read_text(encoding="utf-8").startswith("# TEST DATA"), path


def _catalog_with(tmp_path: Path, change) -> Path:
    root = tmp_path / "catalogs"
    shutil.copytree(CATALOGS, root)
    path = po_path("fr", root)
    catalog = read_catalog(path)
    change(catalog)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0)
    return root


def test_a_fuzzy_entry_is_compiled_out(tmp_path):
    def draft(catalog):
        catalog["Now: {title}"].flags.add("fuzzy")

    root = _catalog_with(tmp_path, draft)
    with po_path("fr", root).open("rb") as handle:
        compiled = compile_catalog(read_po(handle))
    assert compiled.gettext("Now: {title}") == "Now: {title}"  # the draft is never used
    assert compiled.gettext("Announcement") == "Annonce"
    assert translations("fr").gettext("Now: {title}") == "En cours\u00a0: {title}"


def _check(root: Path, *locale: str):
    return CliRunner().invoke(app, ["locale", "check", *locale, "--dir", str(root)])


def test_locale_check_passes_on_the_shipped_catalogs():
    result = _check(CATALOGS)
    assert result.exit_code == 0, result.output
    entries = len(_ids(TEMPLATE))  # every string of the template, each reviewed
    assert f"fr: {entries} entries, 0 fuzzy, 0 missing, 0 placeholder mismatches" in result.output


def test_locale_check_fails_on_a_fuzzy_entry(tmp_path):
    root = _catalog_with(tmp_path, lambda c: c["Announcement"].flags.add("fuzzy"))
    result = _check(root, "fr")
    assert result.exit_code == 1
    assert "1 fuzzy" in result.output and "fuzzy (a draft: never sent): 'Announcement'" in result.output


def test_locale_check_fails_on_a_missing_placeholder(tmp_path):
    def drop(catalog):
        catalog["Now: {title}"].string = "En cours"

    result = _check(_catalog_with(tmp_path, drop), "fr")
    assert result.exit_code == 1
    assert "1 placeholder mismatches" in result.output and "'Now: {title}'" in result.output


def test_locale_check_fails_on_a_missing_entry_and_a_missing_catalog(tmp_path):
    def empty(catalog):
        catalog["Reminder"].string = ""

    result = _check(_catalog_with(tmp_path, empty), "fr")
    assert result.exit_code == 1 and "1 missing" in result.output
    result = _check(CATALOGS, "vi")
    assert result.exit_code == 1 and "no catalog for vi" in result.output


def test_locale_init_starts_an_empty_catalog_that_check_refuses(tmp_path):
    root = tmp_path / "catalogs"
    root.mkdir()
    shutil.copy(TEMPLATE, root / TEMPLATE.name)
    result = CliRunner().invoke(app, ["locale", "init", "th", "--dir", str(root)])
    assert result.exit_code == 0, result.output
    assert po_path("th", root).exists()
    result = _check(root, "th")
    assert result.exit_code == 1 and f"{len(_ids(TEMPLATE))} missing" in result.output


def test_burmese_entries_are_checked_for_zawgyi(tmp_path):
    root = tmp_path / "catalogs"
    shutil.copytree(TEST_CATALOGS, root, ignore=shutil.ignore_patterns("*.py"))
    shutil.copy(TEMPLATE, root / TEMPLATE.name)
    path = po_path("my", root)
    catalog = read_catalog(path)
    # "Announcement" (ကြေညာ) typed with a Zawgyi font: vowel sign E first, Zawgyi's medial ra.
    catalog["Announcement"].string = "ေၾကညာ"
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0)
    result = _check(root, "my")
    assert result.exit_code == 1 and "Zawgyi-encoded" in result.output and "'Announcement'" in result.output
