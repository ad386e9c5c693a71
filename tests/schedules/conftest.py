"""Shared fixtures for the schedule domain tests: the repository root and the Mekong file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from schedules.load import load_file
from schedules.model import Schedule

REPO = Path(__file__).resolve().parents[2]
MEKONG = REPO / "schedules" / "events" / "mekong-dialogue-2022.yaml"
BANGKOK = ZoneInfo("Asia/Bangkok")


def bangkok(hour: int, minute: int, second: int = 0) -> datetime:
    """An instant on the Mekong event day, written in Bangkok time, as aware UTC."""
    return datetime(2022, 5, 30, hour, minute, second, tzinfo=BANGKOK).astimezone(UTC)


@pytest.fixture(scope="session")
def mekong() -> Schedule:
    return load_file(MEKONG)
