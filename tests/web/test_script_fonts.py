"""Fonts for Khmer, Lao, Burmese and Thai on a bare phone (issue 30): Noto Sans Regular shipped with
its OFL licence, declared in common.css for their scripts only, served same-origin, and extra line
height for Burmese."""

from __future__ import annotations

import re

import pytest

from app.web.routes import STATIC_DIR
from tests.conftest import bangkok
from tests.web.conftest import receivers

FONTS = [
    "NotoSansKhmer-Regular.ttf",
    "NotoSansLao-Regular.ttf",
    "NotoSansMyanmar-Regular.ttf",
    "NotoSansThai-Regular.ttf",
]
CSS = (STATIC_DIR / "common.css").read_text(encoding="utf-8")


def test_only_the_four_regular_fonts_and_their_licence_are_shipped_small():
    folder = STATIC_DIR / "fonts"
    assert sorted(p.name for p in folder.iterdir()) == sorted([*FONTS, "OFL.txt"])
    assert sum(p.stat().st_size for p in folder.iterdir()) < 450_000
    licence = (folder / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL Open Font License, Version 1.1" in licence and "PERMISSION & CONDITIONS" in licence
    for name in FONTS:
        assert (folder / name).read_bytes()[:4] == b"\x00\x01\x00\x00"  # a TrueType font


def test_each_font_is_declared_for_its_script_and_in_the_stack():
    faces = re.findall(r"@font-face \{(.*?)\}", CSS, re.S)
    assert len(faces) == 4
    ranges = {"Khmer": "U+1780-17FF", "Lao": "U+0E81-0EFF", "Myanmar": "U+1000-109F", "Thai": "U+0E01-0E5B"}
    for script, first in ranges.items():
        face = next(f for f in faces if f'"Showcaller {script}"' in f)
        assert f'url("fonts/NotoSans{script}-Regular.ttf")' in face and first in face
        assert f'"Showcaller {script}"' in CSS.split("body {", 1)[1].split("}", 1)[0]
    assert re.search(r":lang\(my\) \{ line-height: 1\.8; \}", CSS)


@pytest.mark.parametrize("name", FONTS)
async def test_fonts_are_served_same_origin(sqlite_url, service_for, name):
    service = await service_for(sqlite_url, bangkok(14, 20), transport=receivers, base_url="http://sc.test")
    answer = await service.client.get(f"/web-static/fonts/{name}")
    assert answer.status_code == 200 and answer.content == (STATIC_DIR / "fonts" / name).read_bytes()
