"""Re-validating a stored event: the schedule text (stored or given) and every run-log entry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.store import events_repo
from app.store.tables import events, run_log
from schedules.adjustments import from_dict
from schedules.i18n import SHIPPED, CatalogSearch
from schedules.load import load_text
from schedules.problems import ScheduleError
from schedules.timeline import build_timeline


class RepairError(Exception):
    """The event cannot be repaired as asked; the message says why and what to do."""

    def __init__(self, message: str, missing: bool = False):
        super().__init__(message)
        self.missing = missing


async def repair_event(
    conn: AsyncConnection,
    event_id: str,
    text: str | None,
    source: str | None,
    now: datetime,
    drop_unreadable: bool = False,
    catalogs: CatalogSearch = SHIPPED,
) -> list[str]:
    """Check the event's schedule and run log; store the (new) text; returns what was done."""
    row = await events_repo.get_event(conn, event_id)
    if row is None:
        raise RepairError(f"no event '{event_id}' in this database", missing=True)
    text, source = (text, source) if text is not None else (row.schedule_text, row.source)
    try:
        schedule = load_text(text, source, catalogs=catalogs)  # type: ignore[arg-type]  # stored events keep their schedule text
    except ScheduleError as exc:
        raise RepairError(
            f"{exc.render()}\nfix the file and run `showcaller events repair {event_id} "
            f"--file FILE`, or `showcaller events remove {event_id}`"
        ) from None
    if schedule.event.id != event_id:
        raise RepairError(f"{source} is event '{schedule.event.id}', not '{event_id}'")
    actions, unreadable = [], []
    for entry in (
        await conn.execute(select(run_log).where(run_log.c.event_id == event_id).order_by(run_log.c.seq))
    ).all():
        try:
            actions.append(from_dict(entry.data))
        except Exception as exc:  # any row that cannot be read is reported, whatever broke it
            unreadable.append((entry.seq, f"{type(exc).__name__}: {exc}"))
    if unreadable and not drop_unreadable:
        listed = "\n".join(f"run log #{seq}: {why}" for seq, why in unreadable)
        raise RepairError(
            f"{listed}\n{len(unreadable)} run-log entr{'y' if len(unreadable) == 1 else 'ies'} "
            f"cannot be read; add --drop-unreadable-actions to delete them"
        )
    try:
        build_timeline(schedule, actions, now)
    except Exception as exc:  # the run log does not fit this schedule: say so rather than store it
        raise RepairError(f"the run log does not apply to this schedule: {type(exc).__name__}: {exc}") from None
    done = []
    if unreadable:
        await conn.execute(
            delete(run_log).where(run_log.c.event_id == event_id, run_log.c.seq.in_([seq for seq, _ in unreadable]))
        )
        done.append(f"deleted {len(unreadable)} unreadable run-log entr{'y' if len(unreadable) == 1 else 'ies'}")
    # Compared with the stored text itself, not its hash: a hand-edited row may carry a stale one.
    changed = (text, source) != (row.schedule_text, row.source)
    if changed:
        await conn.execute(
            update(events)
            .where(events.c.id == event_id)
            .values(
                title=schedule.event.title,
                timezone=schedule.event.timezone,
                source=source,
                schedule_text=text,
                schedule_hash=events_repo.text_hash(text),
                loaded_at=now,
            )
        )
    done.append(
        f"event '{event_id}' is valid ({len(actions)} run-log entries)"
        + ("; stored the new schedule" if changed else "")
    )
    done.append("restart `showcaller serve` to run it (or POST the schedule to a running service)")
    return done
