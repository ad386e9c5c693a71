"""axe-core (shipped by axe-playwright-python) on a page as it is shown, and the layout checks of a phone."""

from __future__ import annotations

from typing import Any

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SIZES = {"1366x768": LAPTOP, "390x844": PHONE}

# Experimental in axe-core, so off by default: WCAG 2.5.3, label in name. A speech user says what they
# see ("click Copy link"), so a control's accessible name must contain its visible text.
AXE_OPTIONS: dict[str, Any] = {
    "resultTypes": ["violations", "incomplete"],
    "rules": {"label-content-name-mismatch": {"enabled": True}},
}
BLOCKING = ("critical", "serious")
# Findings of any impact for these: the page structure the issue asked for (a <main>, an <h1>, all
# content in landmarks) stays, whatever impact axe gives it.
ALWAYS = {"landmark-one-main", "page-has-heading-one", "region"}
# "Needs review" counts as found for these: axe 4.12 reports an aria-label on a role-less <span> that
# has text (the console's clock had one) only for review; with no role the label is ignored by most
# screen readers, so it is wrong whatever the text.
REVIEWED = {"aria-prohibited-attr"}


async def axe_violations(page, context: dict | None = None) -> list[str]:
    """What axe-core finds on the page as it is now (see BLOCKING, ALWAYS, REVIEWED), one line a node;
    `context` ({"include": [[selector], ...]}) limits it to parts of the page (then page-level rules,
    such as one <main>, do not run)."""
    from axe_playwright_python.base import AXE_SCRIPT  # axe-core's axe.min.js, as the package ships it

    # Injected once a document (not on every run as the package's Axe.run does): the live pages are
    # checked several times over.
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(AXE_SCRIPT)
    response = await page.evaluate(
        "([context, options]) => axe.run(context || document, options)", [context, AXE_OPTIONS]
    )
    found = []
    for kind in ("violations", "incomplete"):
        for rule in response[kind]:
            counts = rule["impact"] in BLOCKING or rule["id"] in ALWAYS
            if counts if kind == "violations" else rule["id"] in REVIEWED:
                for node in rule["nodes"]:
                    found.append(f"{rule['id']} ({rule['impact']}) {node['target']}: {node['failureSummary']}")
    return found


async def sideways_scroll(page) -> int:
    """CSS pixels the page is wider than its viewport (0: it reads without scrolling sideways). Measured
    against the viewport asked for: a mobile browser widens its layout viewport to fit wide content."""
    return await page.evaluate("document.scrollingElement.scrollWidth") - page.viewport_size["width"]
