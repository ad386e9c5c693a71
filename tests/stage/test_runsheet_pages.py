"""Run sheets as people get them: one A4 page each, their slots marked in words, axe-clean, readable on a phone.

One Chromium for the module's one test (Playwright prints most sheets, which is quick); the sheet with the
most rows is also printed as `showcaller runsheet --format pdf` prints it, by Chromium's --print-to-pdf.
"""

from __future__ import annotations

import asyncio
from io import BytesIO

import pytest

from app.stage.runsheet import print_pdf, runsheet_html
from schedules.load import load_text
from tests.conftest import MEKONG
from tests.stage.test_runsheet import _sheet_schedule
from tests.web.a11y import LAPTOP, PHONE, axe_violations, sideways_scroll
from tests.web.conftest import CHROMIUM, browser  # noqa: F401  (Debian's Chromium through Playwright)

pytestmark = pytest.mark.browser

SCHEDULE = load_text(MEKONG.read_text(encoding="utf-8"), str(MEKONG))
LONGEST = "pinsuda-alexander"  # a co-moderator: all eight segments after the set-up are hers
AGENDA = "h2:text-is('The whole agenda') + table"
YANGON = "respondent-5 (Asia/Yangon)"
# One template: axe runs on one sheet of each shape (the most rows, a speaker, a respondent with a
# question in another zone) to keep the suite quick; every sheet is printed and laid out on a phone.
AXE_ON = {LONGEST, "nilim-baruah", YANGON}


def _pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(BytesIO(pdf)).pages)


async def test_every_mekong_run_sheet_is_one_page_marked_in_words_and_passes_axe(browser, tmp_path):  # noqa: F811
    sheets = {p.id: runsheet_html(SCHEDULE, p.id) for p in SCHEDULE.people}
    # A respondent in another zone: the widest table (their time and the event's side by side).
    sheets[YANGON] = runsheet_html(load_text(_sheet_schedule(), "sheet.yaml"), "respondent-5")
    assert len(sheets) == len(SCHEDULE.people) + 1 >= 10
    assert AXE_ON <= set(sheets)
    printer = await browser.new_page()
    laptop = await browser.new_page(viewport=LAPTOP)
    phone = await (await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)).new_page()
    found: list[str] = []
    for who, html in sheets.items():
        await printer.set_content(html)
        pages = _pages(await printer.pdf(prefer_css_page_size=True))
        if pages != 1:
            found.append(f"{who}: {pages} pages")
        # Their own slots are said in words in the whole agenda, not only set in bold and shaded.
        theirs = await printer.locator(f"{AGENDA} tr.mine").count()
        said = [text for text in await _parts(printer) if text.startswith("Yours: ")]
        if theirs == 0 or len(said) != theirs:
            found.append(f"{who}: {len(said)} agenda rows say 'Yours:', {theirs} are theirs")
        for page, size in ((laptop, "1366x768"), (phone, "390x844")):
            if who in AXE_ON or page is phone:
                await page.set_content(html)
            if who in AXE_ON:
                found += [f"{who} {size}: {line}" for line in await axe_violations(page)]
        # A phone lays the sheet out at its own width (the viewport meta) and nothing scrolls sideways.
        if (wider := await sideways_scroll(phone)) > 0:
            found.append(f"{who} 390x844: {wider} px wider than the phone")
    assert found == [], "\n".join(found)

    await printer.set_content(sheets[LONGEST])
    assert await _parts(printer) == [""] + ["Yours: moderator"] * 8  # the set-up is not hers
    # The command's own printing (Chromium's --print-to-pdf) gives the longest sheet one page too.
    out = tmp_path / "sheet.pdf"
    await asyncio.to_thread(print_pdf, sheets[LONGEST], out, str(CHROMIUM))
    assert _pages(out.read_bytes()) == 1


async def _parts(page) -> list[str]:
    """The whole agenda's third column: the person's part in each segment, in words."""
    cells = await page.locator(f"{AGENDA} tbody td:nth-child(3)").all_inner_texts()
    return [" ".join(cell.split()) for cell in cells]
