"""Country and language names come from pycountry for every ISO code; anything else is shown as given."""

from __future__ import annotations

import pycountry
import pytest

from schedules.iso_names import country_code, country_label, country_name, language_name


def test_every_iso_3166_code_has_its_name_in_either_form_and_any_case():
    countries = list(pycountry.countries)
    assert len(countries) >= 249
    for country in countries:
        assert country_label(country.alpha_2) == f"{country.name} ({country.alpha_2})"
        assert country_name(country.alpha_2.lower()) == country_name(country.alpha_3) == country.name


def test_names_are_the_iso_short_names():
    assert [country_label(c) for c in ("KH", "vn", "LA", "KR", "TR", "MMR")] == [
        "Cambodia (KH)",
        "Viet Nam (VN)",
        "Lao People's Democratic Republic (LA)",
        "Korea, Republic of (KR)",
        "Türkiye (TR)",
        "Myanmar (MMR)",
    ]


def test_codes_and_exact_names_give_one_code():
    for value in ("KH", "khm", "Cambodia", "kingdom of cambodia", " KH "):
        assert country_code(value) == "KH"
    assert country_code("Laos") == country_code("Lao People's Democratic Republic") == "LA"
    assert [country_code(v) for v in ("Lao PDR", "XK", "116", "", "Atlantis")] == [None] * 5


@pytest.mark.parametrize("value", ["Cambodia", "XK", "ZZ", "", " ", "Lao PDR", "K1", "ÉÉ"])
def test_free_text_and_unassigned_codes_are_shown_as_given(value):
    assert country_name(value) is None and country_label(value) == value


def test_every_iso_639_code_has_its_language_name():
    languages = list(pycountry.languages)
    assert len(languages) > 7000
    for language in languages:
        assert language_name(language.alpha_3) == language.name
        if hasattr(language, "alpha_2"):
            assert language_name(language.alpha_2.upper()) == language.name
    assert [language_name(v) for v in ("km", "lo", "my", "English", "Khmer", "xx")] == [
        "Khmer",
        "Lao",
        "Burmese",
        "English",
        "Khmer",
        "xx",
    ]
