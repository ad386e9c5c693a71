"""Instants as the read models write them: UTC with a Z, or local with the offset."""

from __future__ import annotations

from datetime import datetime

from schedules.resolve import zone


def iso_utc(moment: datetime) -> str:
    """2022-05-30T07:00:00Z."""
    return moment.astimezone(zone("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_local(moment: datetime, zone_name: str) -> str:
    """The same instant in a zone, with its offset."""
    return moment.astimezone(zone(zone_name)).isoformat()
