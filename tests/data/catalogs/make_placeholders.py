"""Regenerate the placeholder catalogs (TEST DATA, not translations) from schedules/catalogs/showcaller.pot:

    .venv/bin/python tests/data/catalogs/make_placeholders.py

Each msgstr is a marker in the locale's script followed by the English msgid, placeholders kept, so
the golden renders exercise Thai, Burmese and Khmer text (Khmer with CLDR's zero-width spaces)
through every renderer without anyone mistaking them for translations.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).parent
POT = HERE.parents[2] / "schedules" / "catalogs" / "showcaller.pot"
FIXED_DATE = datetime(2026, 12, 7, tzinfo=UTC)
MARKERS = {"th": "ทดสอบ ", "my": "စမ်းသပ် ", "km": "សាកល្បង\u200bតេស្ត "}


def main() -> None:
    with POT.open("rb") as handle:
        template = read_po(handle)
    for locale, marker in MARKERS.items():
        catalog = Catalog(locale=locale, domain="showcaller", project="Showcaller test data", fuzzy=False)
        for message in template:
            if not message.id:
                continue
            if isinstance(message.id, tuple | list):
                forms = catalog.num_plurals
                # One form only (th, my, km): CLDR's "other", which the English plural stands for.
                english = [str(message.id[1])] if forms == 1 else [str(message.id[min(i, 1)]) for i in range(forms)]
                catalog.add(message.id, tuple(marker + e for e in english))
            else:
                catalog.add(message.id, marker + str(message.id))
        catalog.header_comment = "# TEST DATA: placeholder catalog for the golden renders, not a translation."
        path = HERE / locale / "LC_MESSAGES" / "showcaller.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog.creation_date = catalog.revision_date = FIXED_DATE  # the same file on every run
        with path.open("wb") as handle:
            write_po(handle, catalog, width=0, sort_output=True, include_lineno=False)


if __name__ == "__main__":
    main()
