"""Name normalisation and country matching used to recognise scheduled people."""

from __future__ import annotations

import pytest

from app.attendance.names import names_country, normalise_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Dr. Patrick Duigan", "patrick duigan"),
        ("H.E. Chuop  Narath (Cambodia)", "chuop narath"),
        ("Mr. Chuop Narath (Cambodia) (MoLVT)", "chuop narath"),
        ("MAXIMILIAN PÖTTLER", "maximilian pottler"),
        ("Peppi Kiviniemi-Siddiq", "peppi kiviniemi-siddiq"),
        ("  Nguyễn   Thị Hà ", "nguyen thi ha"),
        ("He Yafei", "he yafei"),  # a given name, not a title
        ("", ""),
    ],
)
def test_normalise_name(raw, expected):
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("display", "country", "hit"),
    [
        ("Lao PDR - Ministry of Labour", "Lao PDR", True),
        ("lao pdr (MoLSW)", "Lao PDR", True),
        ("Viet Nam delegation", "Viet Nam", True),
        ("Vietnamese observer", "Viet Nam", False),
        ("Laos", "Lao PDR", False),
        ("Anything", "", False),
    ],
)
def test_names_country(display, country, hit):
    assert names_country(display, country) is hit
