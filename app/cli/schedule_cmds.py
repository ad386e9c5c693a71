"""Commands that only read schedule files: validate, plan, schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from app.cli import app
from app.cli.output import INVALID, catalog_search, console, errors, load_or_exit, max_schedule_bytes, write_bytes
from app.views.schedule import panelists_json, plan_json, segment_people
from schedules.clock import change_between, describe_change, utc_label, wall
from schedules.durations import format_duration
from schedules.ics import to_ics
from schedules.load import load_file
from schedules.problems import ScheduleError
from schedules.resolve import zone
from schedules.schema import SCHEMA_PATH, schema_text
from schedules.stage import call_before, person_slots
from schedules.timeline import build_timeline


class PlanFormat(StrEnum):
    table = "table"
    json = "json"
    ics = "ics"


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="schedule files to check")]) -> None:
    """Check schedule files; print every problem with file, line, field and fix. Exit 2 if any is invalid."""
    bad, limit, catalogs = 0, max_schedule_bytes(), catalog_search()
    for path in files:
        try:
            schedule = load_file(path, limit, catalogs)
        except ScheduleError as exc:
            bad += 1
            for line in exc.render().splitlines():
                errors.print(line, markup=False)
            continue
        console.print(
            f"{path}: ok ({schedule.event.title}, {len(schedule.segments)} segments, {len(schedule.people)} people)",
            markup=False,
        )
    if bad:
        raise typer.Exit(INVALID)


@app.command()
def plan(
    file: Annotated[Path, typer.Argument(help="the schedule file")],
    tz: Annotated[str | None, typer.Option("--tz", help="show times in this IANA zone")] = None,
    fmt: Annotated[PlanFormat, typer.Option("--format", help="table, json or ics")] = PlanFormat.table,
    sequence: Annotated[
        int | None,
        typer.Option(help="ics: the SEQUENCE to write (default: the file's revision, from its modification time)"),
    ] = None,
) -> None:
    """Show the validated agenda and every planned cue."""
    schedule = load_or_exit(str(file))
    zone_name = tz or schedule.event.timezone
    if zone(zone_name) is None:
        errors.print(f"--tz: unknown time zone '{zone_name}'. Fix: use an IANA name such as Asia/Yangon", markup=False)
        raise typer.Exit(INVALID)
    timeline = build_timeline(schedule)
    if fmt is PlanFormat.json:
        console.print_json(json.dumps(plan_json(schedule, timeline, zone_name)))
    elif fmt is PlanFormat.ics:
        now = datetime.now(UTC)
        write_bytes(to_ics(schedule, timeline.segments, now, plan_revision(file) if sequence is None else sequence))
    else:
        _print_tables(schedule, timeline, zone_name)


def shown_at(moment: datetime, tzinfo) -> str:
    """HH:MM in the zone; a wall time that happens twice that day gets its offset as `UTC-2:30`
    (not "-02:30", which reads as a range next to another time)."""
    text = wall(moment, tzinfo)
    if len(text) == 5:
        return text
    return f"{text[:5]} {utc_label(moment.astimezone(tzinfo).utcoffset())}"  # type: ignore[arg-type]  # aware


REVISION_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def plan_revision(file: Path) -> int:
    """The schedule file's revision: whole minutes from 2020 to its last modification.

    A file has no revision counter, but every edit moves its modification time forward: an agenda
    exported after an edit gets a higher SEQUENCE (calendars replace the old one), and exporting the
    same file again gives the same SEQUENCE. Minutes keep it within iCalendar's 32-bit INTEGER until
    the year 6000.
    """
    modified = datetime.fromtimestamp(file.stat().st_mtime, UTC)
    return max(0, int((modified - REVISION_EPOCH).total_seconds() // 60))


def _print_tables(schedule, timeline, zone_name: str, *, cues_table: bool = True) -> None:
    tzinfo = zone(zone_name)
    local = lambda moment: shown_at(moment, tzinfo)  # noqa: E731
    day = timeline.segments[0].start.astimezone(tzinfo).strftime("%a %d %b %Y")
    # Text, not str: titles written by organisers must never be read as rich markup ("[Draft]").
    agenda = Table(title=Text(f"{schedule.event.title} | {day} | times in {zone_name}"), title_justify="left")
    agenda.add_column("Time", no_wrap=True)
    for column in ("Length", "Segment", "Kind", "People"):
        agenda.add_column(column)
    changes = []
    for row in timeline.segments:
        seg = schedule.segments[row.index]
        start, end = local(row.start), local(row.end)
        # "01:40-02:30" alone is a range; with an offset on either end, a word keeps them apart.
        when = f"{start} to {end}" if " " in start + end else f"{start}-{end}"
        if found := change_between(tzinfo, row.start, row.end):  # type: ignore[arg-type]  # zone checked by the caller
            changes.append(f"* {seg.title}: {describe_change(*found)}; the length is real elapsed time")
            when += " *"
        agenda.add_row(
            when, format_duration(row.duration), Text(seg.title), seg.kind.value, Text(segment_people(schedule, seg))
        )
    console.print(agenda)
    for line in changes:
        console.print(line, markup=False)
    if panelists := panelists_json(schedule):
        names = ", ".join(p["name"] for p in panelists)
        console.print(f"Panelists ({len(panelists)}, roles: [panelist] plus zoom.panelists): {names}", markup=False)
    _print_calls(schedule, timeline, local)
    if not cues_table:
        console.print(f"{len(timeline.cues)} planned cues (`showcaller plan FILE` lists them)", markup=False)
        return
    cues = Table(title=f"{len(timeline.cues)} planned cues", title_justify="left")
    for column in ("At", "Kind", "Cue", "Targets"):
        cues.add_column(column)
    for cue in timeline.cues:
        cues.add_row(local(cue.at), cue.kind.value, Text(cue.title), ", ".join(cue.targets) or "-")
    console.print(cues)


def _print_calls(schedule, timeline, local) -> None:
    """When each person on stage is called (invites and run sheets say the same)."""
    rows = []
    for person in schedule.people:
        slots = person_slots(schedule, timeline.segments, person.id)
        if not slots:
            continue
        # The slot that sets the call: the earliest start minus that slot's call time.
        slot = min(slots, key=lambda s: s.start - call_before(schedule, person.id, s.role))
        ahead = call_before(schedule, person.id, slot.role)
        why = "own call_before" if person.call_before is not None else slot.role.value
        rows.append(
            (
                local(slot.start - ahead),
                Text(person.name),
                f"{local(slot.start)} {slot.role.value}",
                f"{format_duration(ahead) if ahead else 'at the slot'} ({why})",
            )
        )
    if not rows:
        return
    calls = Table(title="Call times (stage.call_before, people[].call_before)", title_justify="left")
    for column in ("Call", "Person", "For slot", "Before"):
        calls.add_column(column)
    for row in sorted(rows, key=lambda r: r[0]):
        calls.add_row(*row)
    console.print(calls)


@app.command()
def schema(
    write: Annotated[bool, typer.Option("--write", help=f"update {SCHEMA_PATH.name} in place")] = False,
) -> None:
    """Print the JSON Schema of schedule files (editors use it to complete and check them)."""
    if write:
        SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
        console.print(f"wrote {SCHEMA_PATH}", markup=False)
    else:
        write_bytes(schema_text().encode())
