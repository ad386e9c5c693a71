"""`showcaller locale extract|init|check`: the catalogs of the words Showcaller writes to people
(issue 30; the workflow is docs/localisation.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli import app
from app.cli.output import console, errors

locale_app = typer.Typer(
    help="Translation catalogs: extract the product's strings, start a locale, check one before an event.",
    no_args_is_help=True,
)
app.add_typer(locale_app, name="locale")

# The source tree extraction reads (babel.cfg sits at its root).
SOURCE_ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = ("n_:1,2", "N_")

CatalogDir = Annotated[
    Path | None,
    typer.Option("--dir", help="the catalogs' folder (default: SHOWCALLER_CATALOGS, else the product's)"),
]
TemplateDir = Annotated[
    Path | None,
    typer.Option("--dir", help="the catalogs' folder (default: the product's, schedules/catalogs)"),
]


def _root(folder: Path | None) -> Path:
    """`--dir`, else the organiser's folder (SHOWCALLER_CATALOGS), else the product's."""
    from app.core.config import get_settings
    from schedules.i18n import CATALOGS

    return folder or get_settings().catalogs or CATALOGS


def extract_template(output: Path) -> None:
    """Run `pybabel extract` over the source tree (babel.cfg) into `output`: no header, no
    locations, sorted, so the committed template changes only when a string does."""
    from babel.messages.frontend import CommandLineInterface

    args = ["pybabel", "-q", "extract", "-F", str(SOURCE_ROOT / "babel.cfg"), "--omit-header", "--no-location"]
    args += ["--sort-output", "--no-wrap", *(f"-k{k}" for k in KEYWORDS), "-o", str(output), str(SOURCE_ROOT)]
    CommandLineInterface().run(args)


@locale_app.command("extract")
def extract(
    folder: TemplateDir = None,
    update: Annotated[bool, typer.Option(help="also bring each locale's catalog up to date")] = True,
) -> None:
    """Extract every string Showcaller writes to people into showcaller.pot, and update each
    catalog: new strings arrive empty, changed ones as fuzzy drafts (never sent until reviewed)."""
    from schedules.i18n import CATALOGS, TEMPLATE, available, po_path

    root = folder or CATALOGS  # the product's template, whatever SHOWCALLER_CATALOGS says
    template = root / TEMPLATE.name
    extract_template(template)
    console.print(f"wrote {template}", markup=False)
    if update and available(root):
        for code in available(root):
            update_catalog(po_path(code, root), template)
        console.print(f"updated {', '.join(available(root))}", markup=False)


def update_catalog(path: Path, template_path: Path) -> None:
    """Bring the catalog at `path` up to date with the template: new strings empty, changed ones
    as fuzzy drafts, gone ones kept as obsolete (#~) so a translator can reuse them."""
    from babel.messages.pofile import write_po

    from schedules.i18n import read_catalog

    catalog = read_catalog(path)
    created = catalog.creation_date
    catalog.update(read_catalog(template_path), update_header_comment=False, update_creation_date=False)
    catalog.creation_date = created  # an unchanged catalog stays byte for byte the same
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, sort_output=True, include_lineno=False)


@locale_app.command("init")
def init(
    locale: Annotated[str, typer.Argument(help="a CLDR locale: th, my, km, lo, vi, pt-BR")],
    folder: CatalogDir = None,
) -> None:
    """Start the catalog of LOCALE from showcaller.pot: every entry empty, to translate and review."""
    from babel.messages.frontend import CommandLineInterface

    from schedules.i18n import DOMAIN, TEMPLATE, po_path
    from schedules.locales import locale_id

    try:
        code = locale_id(locale)
    except ValueError as exc:
        errors.print(str(exc).replace("; ", ". Fix: ", 1), markup=False)
        raise typer.Exit(2) from None
    root = _root(folder)
    target = po_path(code, root)
    if target.exists():
        errors.print(f"{target} exists already; edit it, or run `showcaller locale extract` to update it", markup=False)
        raise typer.Exit(1)
    template = root / TEMPLATE.name if (root / TEMPLATE.name).exists() else TEMPLATE
    CommandLineInterface().run(
        ["pybabel", "-q", "init", "-i", str(template), "-d", str(root), "-D", DOMAIN, "-l", code, "--no-wrap"]
    )
    console.print(f"wrote {target}: translate each msgstr, then `showcaller locale check {code}`", markup=False)


@locale_app.command("check")
def check(
    locale: Annotated[str | None, typer.Argument(help="one locale (default: every catalog)")] = None,
    folder: CatalogDir = None,
) -> None:
    """Count fuzzy (drafts), missing and placeholder-mismatched entries per locale, and Zawgyi-encoded
    Burmese; exit 1 when any locale has one (a draft is never sent, so it must not be on the day).
    Without --dir, the catalog checked is the one the service uses: SHOWCALLER_CATALOGS's, else the
    product's."""
    from app.core.config import get_settings
    from schedules.catalog_check import check_locale
    from schedules.i18n import TEMPLATE, CatalogSearch, read_catalog
    from schedules.locales import locale_id

    root = _root(folder)
    search = CatalogSearch((folder,)) if folder else get_settings().catalog_search()
    template_path = root / TEMPLATE.name if (root / TEMPLATE.name).exists() else TEMPLATE
    template = read_catalog(template_path)
    locales = [locale_id(locale)] if locale else [x for x in search.available() if x != "en"]
    shown = ", ".join(str(r) for r in search.roots)
    if not locales:
        errors.print(f"no catalogs in {shown}; start one with `showcaller locale init LOCALE`", markup=False)
        raise typer.Exit(1)
    failed = False
    for code in locales:
        report = check_locale(code, search, template)
        where = report.path or f"no catalog for {code} in {shown}"
        console.print(
            f"{code}: {report.total} entries, {len(report.fuzzy)} fuzzy, {len(report.missing)} missing, "
            f"{len(report.mismatched)} placeholder mismatches"
            + (f", {len(report.zawgyi)} Zawgyi" if report.zawgyi else "")
            + f" ({where})",
            markup=False,
        )
        for title, ids in (
            ("fuzzy (a draft: never sent)", report.fuzzy),
            ("missing", report.missing),
            ("placeholders differ from the msgid's", report.mismatched),
            ("Zawgyi-encoded (re-type it in Unicode Burmese)", report.zawgyi),
        ):
            for msgid in ids:
                console.print(f"  {title}: {msgid!r}", markup=False)
        failed |= not report.ok
    raise typer.Exit(1 if failed else 0)
