"""Print the pack's HTML to PDF with headless Chromium (the page is self-contained: nothing is fetched)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import weakref
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_SECONDS = 90.0
# A Chromium takes a few hundred MB: many downloads at once print two at a time, the rest wait.
MAX_AT_ONCE = 2
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _slot() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    if loop not in _slots:
        _slots[loop] = asyncio.Semaphore(MAX_AT_ONCE)
    return _slots[loop]


class PdfError(RuntimeError):
    """Chromium is missing or could not print the page."""


def find_chromium(configured: str | None = None) -> str:
    """The Chromium to use: the configured one (SHOWCALLER_CHROMIUM), else the first on PATH."""
    if configured:
        if Path(configured).exists():
            return configured
        if found := shutil.which(configured):
            return found
        raise PdfError(
            f"Chromium not found as '{configured}'; install it (apt-get install chromium) "
            "or set SHOWCALLER_CHROMIUM to its path"
        )
    for name in CANDIDATES:
        if found := shutil.which(name):
            return found
    raise PdfError("no Chromium found for PDF printing: install chromium (apt-get install chromium)")


async def html_to_pdf(html: str, chromium: str | None = None, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """PDF bytes of `html`, printed on A4 with the page's own margins and no browser header or footer."""
    binary = find_chromium(chromium)
    async with _slot():
        return await _print(binary, html, timeout)


async def _print(binary: str, html: str, timeout: float) -> bytes:
    with tempfile.TemporaryDirectory(prefix="showcaller-pdf-") as tmp:
        page, out = Path(tmp) / "pack.html", Path(tmp) / "pack.pdf"
        page.write_text(html, encoding="utf-8")
        args = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            "--no-pdf-header-footer",
            "--print-to-pdf-no-header",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        proc = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        try:
            _, err = await asyncio.wait_for(proc.communicate(), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise PdfError(f"Chromium did not print within {timeout:.0f} s") from None
        if proc.returncode != 0 or not out.exists():
            detail = (err or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise PdfError(f"Chromium could not print the pack (exit {proc.returncode}): {detail[0]}")
        return out.read_bytes()
