"""Shared fixtures: they live in the harness, tests/fixtures/ (see its README.md).

The names tests have always used stay here: ROOT, MEKONG, POSTGRES_URL, IN_CI, bangkok(), and the
fixtures database_url, settings_for and receiver_env.
"""

from __future__ import annotations

from tests.fixtures import IN_CI, MEKONG, POSTGRES_URL, ROOT, bangkok  # noqa: F401
from tests.fixtures.databases import admin as _admin  # noqa: F401
from tests.fixtures.databases import postgres_url as _postgres_url  # noqa: F401
from tests.fixtures.plugin import (  # noqa: F401
    database_templates,
    database_url,
    no_sqlite_call_cut_by_a_cancel,
    receiver_env,
    receivers,
    service_for,
    settings_for,
    sqlite_url,
)


def pytest_collection_modifyitems(items: list) -> None:
    """Longest files first (tests/fixtures/ordering.py): with `--no-loadscope-reorder` the xdist
    workers take them in this order and finish together."""
    from tests.fixtures.ordering import load_durations, longest_first

    items[:] = longest_first(items, load_durations())
