"""The attendance rows the store reads and writes: a fact (what one webhook says happened) and a
past-participants row. Plain data, here so the store needs nothing from app/attendance/, which
builds them (`facts.fact_from_event`) and reads them (`intervals.build_attendance`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Within one instant: open the instance, close what ends, then open what starts, then end it.
RANK = {
    "started": 0,
    "room_left": 1,
    "left": 2,
    "waiting_left": 3,
    "admitted": 4,
    "waiting_joined": 5,
    "joined": 6,
    "room_joined": 7,
    "ended": 9,
}


@dataclass(frozen=True)
class Fact:
    """What one webhook says happened, reduced to what attendance needs."""

    meeting_id: str
    meeting_uuid: str
    object: str
    kind: str
    occurred_at: datetime
    event_ts: int = 0
    user_id: str | None = None
    parent_user_id: str | None = None
    participant_uuid: str | None = None
    zoom_user_id: str | None = None
    registrant_id: str | None = None
    email: str | None = None
    name: str | None = None
    room: str | None = None

    def sort_key(self) -> tuple:
        """Payload time first, then a stable rank and every field: arrival never matters."""
        return (
            self.occurred_at,
            RANK[self.kind],
            self.event_ts,
            self.meeting_uuid,
            self.user_id or "",
            self.parent_user_id or "",
            self.room or "",
            self.participant_uuid or "",
            self.email or "",
            self.name or "",
        )


@dataclass(frozen=True)
class PastRow:
    """One join segment from Zoom's past-participants list (used to fill webhook gaps)."""

    meeting_uuid: str
    user_id: str | None
    join_time: datetime
    leave_time: datetime
    name: str | None = None
    email: str | None = None
    zoom_user_id: str | None = None
    registrant_id: str | None = None
