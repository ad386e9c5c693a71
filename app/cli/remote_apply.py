"""`showcaller --server URL --token T apply FILE`: the same apply, made by the running service.

The file is loaded on the server (POST /api/events, as `load` does) and applied there
(POST /api/events/{id}/apply), so the service that runs the event stores, plans and links it at
once. The output is the local command's: doctor warnings, the change list, the result line, the
join link and the planned cues.
"""

from __future__ import annotations

from pathlib import Path

import typer

from app.cli.output import console, errors
from app.cli.remote_cmds import post_schedule, remote


def apply_remote(
    ctx: typer.Context, paths: list[Path], *, dry_run: bool, replace: bool, skip_doctor: bool, skip: tuple[str, ...]
) -> None:
    from app.cli.zoom_cmds import SANDBOX_NOTE, print_report, print_warnings

    if dry_run:  # a dry run changes nothing, and loading the file on the server would
        errors.print("--dry-run: not with --server (it would store the file there); run it locally")
        raise typer.Exit(2)
    many = len(paths) > 1
    with remote(ctx) as client:
        for path in paths:
            event_id = post_schedule(client, path)["id"]
            params = {"replace": replace, "skip_doctor": skip_doctor, "skip_check": list(skip)}
            answer = client.call("POST", f"/api/events/{event_id}/apply", params=params)
            prefix = f"{event_id}: " if many else ""
            if answer["sandbox"] and path == paths[0]:
                errors.print(SANDBOX_NOTE)
            report = _report(answer.get("doctor"))
            if report is not None and not report.ok:
                print_report(report)
                errors.print("sandbox: the failed checks above do not stop apply here; against Zoom they would")
            elif report is not None:
                print_warnings(report, prefix)
            if many:  # as the local apply of several files: one line per event, then the count
                result, calls = answer["result"], answer["result"]["write_calls"]
                line = f"{event_id}: {answer['kind']} {result['id']} {_verb(result)} ({calls} write calls)"
                console.print(line, markup=False)
            else:
                _print_applied(answer, event_id)
    if many:
        console.print(f"{len(paths)} applied, 0 failed, 0 left")


def _verb(result: dict) -> str:
    return "created" if result["created"] else "updated" if result["write_calls"] else "unchanged"


def _report(doctor: dict | None):
    from app.zoom.doctor import Check, DoctorReport

    if doctor is None:
        return None
    checks = [Check(c["name"], c["status"], c["detail"], c["fix"] or "") for c in doctor["checks"]]
    return DoctorReport(checks, doctor["sandbox"])


def _print_applied(answer: dict, event_id: str) -> None:
    result = answer["result"]
    console.print(answer["changes"], markup=False)
    for note in result["notes"]:
        console.print(f"note: {note}", markup=False)
    console.print(f"{answer['kind']} {result['id']}: {_verb(result)} ({result['write_calls']} write calls)")
    if result["join_url"]:
        console.print(f"join: {result['join_url']}", markup=False)
    console.print(f"planned {answer['planned_cues']} cues for {event_id}")
