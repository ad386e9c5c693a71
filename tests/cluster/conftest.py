"""Several `showcaller serve` processes on one fresh PostgreSQL database."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import _admin, _postgres_url


@pytest.fixture
async def shared_database():
    """A fresh PostgreSQL database for the instances of one test (skips without PostgreSQL)."""
    base = _postgres_url()
    name = f"showcaller_c_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    yield base.rsplit("/", 1)[0] + f"/{name}"
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
