"""docs/stream-deck.md and the README against the code: the commands they show parse with the real CLI,
and what they promise of the Companion page and module is what the code has."""

from __future__ import annotations

import json
import shlex

from app.cli import COMMAND_MODULES
from integrations.companion_page import FILE_VERSION, LAYOUT, POLLED, TOKEN_VARIABLE
from tests.conftest import ROOT
from tests.test_deploy_docs import _code_blocks, _parse

DECK = ROOT / "docs" / "stream-deck.md"


def test_every_showcaller_command_on_the_deck_page_parses():
    lines = [
        shlex.split(line)[1:]
        for block in _code_blocks(DECK.read_text())
        for line in block.replace("\\\n", " ").splitlines()
        if line.startswith("showcaller ")
    ]
    assert any("companion-page" in args for args in lines), lines
    for args in lines:
        ctx = _parse(args)
        assert not hasattr(ctx.command, "get_command"), args


def test_the_page_says_what_the_export_holds():
    text = DECK.read_text()
    assert f"export format **{FILE_VERSION}**" in text
    assert TOKEN_VARIABLE in text and "showcaller_current_id" in text
    for field in POLLED:
        assert f"_{field}`" in text, field
    assert len(LAYOUT) == 3 and all(len(row) == 5 for row in LAYOUT)


def test_the_readme_lists_the_command_and_the_module_its_version():
    readme = (ROOT / "README.md").read_text()
    assert "companion-page" in COMMAND_MODULES and "| `companion-page FILE\\|EVENT" in readme
    package = json.loads((ROOT / "integrations" / "companion" / "package.json").read_text())
    assert f"`@companion-module/base` {package['dependencies']['@companion-module/base']}" in DECK.read_text()
