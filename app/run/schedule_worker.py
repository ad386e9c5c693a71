"""Uploaded schedules are parsed and validated within bounds: small plain ones where they arrive,
every other one in a child process with a time and a memory bound.

Parsing YAML is CPU work in pure Python: on the event loop (or a thread, which shares the GIL) a
hostile or merely huge upload delays every live event's timer. A process of its own keeps the loop
free, and it can be killed: a YAML alias bomb or a deeply nested file costs the child its time or
memory budget, never the service. Children fork from a small preloaded server (forkserver), so
none inherits the service's threads, sockets or database connections; each is kept warm for the
uploads that follow (starting one per upload cost more than parsing a 20-cue file).

An upload of at most `inline_max_bytes` is first read on the loop by `schedules.load.load_small`,
whose work is bounded by a node count (at most INLINE_MAX_VALUES nodes, no alias, no second
parse; about 1.1 ms of CPU for a 20-cue event): the hop to the child, the pickling both ways and
the child's lowest CPU priority cost a busy machine far more than that. Anything it does not
accept (too many values, an alias, any problem at all) goes to the child as before, so the answer
to a bad file, hostile or not, is the child's.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import resource
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from schedules.i18n import SHIPPED, CatalogSearch
from schedules.load import INLINE_MAX_BYTES, load_small
from schedules.model import Schedule
from schedules.problems import Problem, ScheduleError

NICE = 19
_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["schedules.load"])


# A parser child serves this many uploads, then is replaced (memory it kept from one large file
# does not pile up); one that failed an upload (time, memory, recursion) is replaced at once.
PARSES_PER_CHILD = 200


def _parse(text: str, source: str, memory_mb: int, catalogs: CatalogSearch = SHIPPED) -> tuple[Any, ...]:
    """In the child: ('ok', schedule), ('invalid', file, problems) or ('failed', why); never raises."""
    from schedules.load import load_text

    try:
        return ("ok", load_text(text, source, catalogs=catalogs))
    except ScheduleError as exc:
        return ("invalid", exc.file, exc.problems)
    except MemoryError:
        return ("failed", f"parsing it needed more than {memory_mb} MB of memory")
    except RecursionError:
        return ("failed", "it is nested too deeply to parse")
    except Exception as exc:  # whatever a hostile file provokes becomes a refusal, not a crash
        return ("failed", f"the parser failed: {type(exc).__name__}: {str(exc)[:200]}")


def _child(requests: Connection, answers: Connection, memory_mb: int) -> None:
    """In the child: parse one upload after another, until the service closes the pipe or an
    upload fails (a child that ran out of memory is not trusted with the next one)."""
    # Below the service in the CPU queue: on a busy machine the timer and the API go first.
    os.nice(NICE)
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        try:
            text, source, catalogs = requests.recv()
        except (EOFError, OSError):
            return
        outcome = _parse(text, source, memory_mb, catalogs)
        try:
            answers.send(outcome)
        except MemoryError:
            answers.send(("failed", f"parsing it needed more than {memory_mb} MB of memory"))
            return
        if outcome[0] == "failed":
            return


@dataclass
class _Warm:
    """A parser child kept running between uploads, and the service's ends of its two pipes."""

    process: Any
    requests: Connection
    answers: Connection
    served: int = 0

    @classmethod
    def start(cls, memory_mb: int) -> _Warm:
        receive_requests, requests = _context.Pipe(duplex=False)
        answers, send_answers = _context.Pipe(duplex=False)
        child = _context.Process(
            target=_child, args=(receive_requests, send_answers, memory_mb), daemon=True, name="schedule-parser"
        )
        child.start()
        receive_requests.close()
        send_answers.close()
        return cls(child, requests, answers)

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.requests.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.answers.close()


def _run(
    warm: _Warm | None, text: str, source: str, seconds: float, memory_mb: int, catalogs: CatalogSearch = SHIPPED
) -> tuple[tuple, _Warm | None]:
    """In a thread of the service: hand the upload to a warm child (started if there is none), wait
    at most `seconds`, kill the child if it overstays. Returns the outcome and the child if it may
    serve the next upload (None: it was stopped)."""
    if warm is None:
        warm = _Warm.start(memory_mb)
    outcome: tuple
    try:
        warm.requests.send((text, source, catalogs))
        if not warm.answers.poll(seconds):
            outcome = ("failed", f"parsing it took longer than {seconds:g} s")
        else:
            outcome = warm.answers.recv()
    except (EOFError, OSError):
        outcome = ("failed", f"the parser stopped without an answer (more than {memory_mb} MB of memory?)")
    warm.served += 1
    if outcome[0] == "failed" or warm.served >= PARSES_PER_CHILD or not warm.process.is_alive():
        warm.stop()
        return outcome, None
    return outcome, warm


FIX = (
    "keep the file small and plain: no YAML anchors or aliases (&x, *x), no deep nesting; "
    "check it with `showcaller validate`"
)


@dataclass
class BoundedParser:
    """Parses schedule uploads within bounds: a small plain one on the loop (`inline_max_bytes`, at
    most INLINE_MAX_BYTES; 0: never), any other off it, at most `workers` at once.

    The children stay up between uploads (a pool of at most `workers`, started on first use), so an
    upload costs its parse and two pipe messages, not a process start; the bounds are per upload as
    before: a child that overstays `seconds` is killed, one over `memory_mb` fails its parse and is
    replaced."""

    seconds: float = 10.0
    memory_mb: int = 512
    workers: int = 1
    catalogs: CatalogSearch = SHIPPED  # where a target's locale finds its catalog
    inline_max_bytes: int = INLINE_MAX_BYTES
    _slots: asyncio.Semaphore | None = field(default=None, repr=False)
    _idle: list[_Warm] = field(default_factory=list, repr=False)

    def inline(self, text: str, source: str) -> Schedule | None:
        """The schedule if it is read on the loop within the inline bounds; None: it goes to a child."""
        if self.inline_max_bytes <= 0 or len(text) > self.inline_max_bytes:
            return None
        return load_small(text, source, min(self.inline_max_bytes, INLINE_MAX_BYTES), self.catalogs)

    async def parse(self, text: str, source: str) -> Schedule:
        """The validated schedule, or ScheduleError (located problems, or why it was given up)."""
        if (small := self.inline(text, source)) is not None:
            return small
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        async with self._slots:
            warm = self._idle.pop() if self._idle else None
            outcome, warm = await asyncio.to_thread(
                _run, warm, text, source, self.seconds, self.memory_mb, self.catalogs
            )
            if warm is not None:
                self._idle.append(warm)
        if outcome[0] == "ok":
            return outcome[1]
        if outcome[0] == "invalid":
            raise ScheduleError(outcome[1], outcome[2])
        raise ScheduleError(source, [Problem(1, 1, (), f"not accepted: {outcome[1]}", FIX, source)])

    def close(self) -> None:
        """Stop the idle children (at shutdown; they are daemons, so they end with the service anyway)."""
        idle, self._idle = self._idle, []
        for warm in idle:
            warm.stop()
