"""Uploaded schedules are parsed and validated in a child process, with a time and a memory bound.

Parsing YAML is CPU work in pure Python: on the event loop (or a thread, which shares the GIL) a
hostile or merely huge upload delays every live event's timer. A process of its own keeps the loop
free, and it can be killed: a YAML alias bomb or a deeply nested file costs the child its time or
memory budget, never the service. Children fork from a small preloaded server (forkserver), so
none inherits the service's threads, sockets or database connections.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from schedules.model import Schedule
from schedules.problems import Problem, ScheduleError

NICE = 19
_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["schedules.load"])


def _child(send: Connection, text: str, source: str, memory_mb: int) -> None:
    """In the child: parse, and send back ('ok', schedule) or why not (never raises)."""
    # Below the service in the CPU queue: on a busy machine the timer and the API go first.
    os.nice(NICE)
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from schedules.load import load_text

    outcome: tuple[Any, ...]
    try:
        outcome = ("ok", load_text(text, source))
    except ScheduleError as exc:
        outcome = ("invalid", exc.file, exc.problems)
    except MemoryError:
        outcome = ("failed", f"parsing it needed more than {memory_mb} MB of memory")
    except RecursionError:
        outcome = ("failed", "it is nested too deeply to parse")
    except Exception as exc:  # whatever a hostile file provokes becomes a refusal, not a crash
        outcome = ("failed", f"the parser failed: {type(exc).__name__}: {str(exc)[:200]}")
    try:
        send.send(outcome)
    except MemoryError:
        send.send(("failed", f"parsing it needed more than {memory_mb} MB of memory"))


def _run(text: str, source: str, seconds: float, memory_mb: int) -> tuple:
    """In a thread of the service: start a child, wait at most `seconds`, kill it if it overstays."""
    receive, send = _context.Pipe(duplex=False)
    child = _context.Process(target=_child, args=(send, text, source, memory_mb), daemon=True, name="schedule-parser")
    child.start()
    send.close()
    try:
        if not receive.poll(seconds):
            return ("failed", f"parsing it took longer than {seconds:g} s")
        try:
            return receive.recv()
        except (EOFError, OSError):
            return ("failed", f"the parser stopped without an answer (more than {memory_mb} MB of memory?)")
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
        receive.close()


FIX = (
    "keep the file small and plain: no YAML anchors or aliases (&x, *x), no deep nesting; "
    "check it with `showcaller validate`"
)


@dataclass
class BoundedParser:
    """Parses schedule uploads off the event loop: at most `workers` at once, each within bounds."""

    seconds: float = 10.0
    memory_mb: int = 512
    workers: int = 1
    _slots: asyncio.Semaphore | None = field(default=None, repr=False)

    async def parse(self, text: str, source: str) -> Schedule:
        """The validated schedule, or ScheduleError (located problems, or why it was given up)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        async with self._slots:
            outcome = await asyncio.to_thread(_run, text, source, self.seconds, self.memory_mb)
        if outcome[0] == "ok":
            return outcome[1]
        if outcome[0] == "invalid":
            raise ScheduleError(outcome[1], outcome[2])
        raise ScheduleError(source, [Problem(1, 1, (), f"not accepted: {outcome[1]}", FIX, source)])
