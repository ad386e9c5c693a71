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
