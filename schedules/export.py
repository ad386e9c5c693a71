"""Write a schedule, as edited live, back to a schedule file the loader accepts.

`showcaller export EVENT` (and GET /api/events/{id}/rundown/export) use this so the next edition of an
event starts from the running order that really happened: breaks inserted, sessions moved, retimed
or removed during the show. Only the plan is written: delays, holds and early ends belong to the run,
not to the next event's plan.
"""

from __future__ import annotations

from typing import Any

import yaml

from schedules.adjustments import Adjustment
from schedules.model import Schedule
from schedules.rundown import edited, edits_of


def export_yaml(schedule: Schedule, adjustments: list[Adjustment] | tuple = (), note: str | None = None) -> str:
    """YAML for the schedule with the live rundown edits in `adjustments` applied (validate/load accept it)."""
    rundown = edited(schedule, adjustments)
    data: dict[str, Any] = rundown.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
    data = {"version": 1, **data}  # say which format this is even though it is the default
    count = len(edits_of(adjustments))
    header = [f"# {rundown.event.title}: the rundown as edited live ({count} edit{'' if count == 1 else 's'})."]
    if note:
        header.append(f"# {note}")
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(header) + "\n" + body


__all__ = ["export_yaml"]
