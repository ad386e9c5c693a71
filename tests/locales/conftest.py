"""Catalog folders for the locale tests: the product's (en, fr) with the placeholder test catalogs
(th, my, km: TEST DATA under tests/data/catalogs) beside them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from schedules.i18n import CATALOGS

TEST_CATALOGS = Path(__file__).resolve().parents[1] / "data" / "catalogs"


@pytest.fixture(scope="session")
def catalogs(tmp_path_factory) -> Path:
    """A catalogs folder with en, fr (the product's) and th, my, km (placeholders)."""
    root = tmp_path_factory.mktemp("catalogs") / "catalogs"
    shutil.copytree(CATALOGS, root)
    shutil.copytree(TEST_CATALOGS, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.py"))
    return root
