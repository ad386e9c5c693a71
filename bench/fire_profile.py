"""The firing path's own work, counted: what one cue costs the engine, without the timer's jitter.

An in-process run on a SQLite file with a manual clock: one event of N reminders one second apart
(one webhook target) is loaded, then the clock steps to each cue and `tick()` fires it, as the
timer would; the fired deliveries are handed off (to a stand-in that keeps them) as the running
worker would get them. Counted per fired cue: SQL statements executed and timelines built; with
--profile, the ticks' cProfile stats are written for pstats. Timed (shown, not judged, the
machine is shared): the process CPU time of the ticks. With --actions, a hold and a resume every
20 cues: each write must build the timeline once, a tick none.

    .venv/bin/python bench/fire_profile.py [--cues 200] [--pending 0] [--profile out.prof]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import schedule_yaml, target_env  # noqa: E402

EVENT = "bench-profile"


class _KeepHandOff:
    """Takes the deliveries a tick committed already claimed, and keeps them (nothing is sent)."""

    def __init__(self) -> None:
        self.batches: list = []

    def lease_until(self, now: datetime, count: int) -> datetime:
        return now + timedelta(seconds=60 + 10 * count)

    def send_claimed(self, batch: list) -> None:
        self.batches.append(batch)


async def run(cues: int, pending: int, profile: str | None, actions: bool) -> dict[str, float]:
    import httpx
    from sqlalchemy import Engine
    from sqlalchemy import event as sa_event

    from app import bootstrap
    from app.core.config import Settings
    from app.engine.clock import ManualClock

    start = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    clock = ManualClock(start)
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    statements = 0

    def count(*_args) -> None:
        nonlocal statements
        statements += 1

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'p.db'}"
        settings = Settings(_env_file=None, database_url=url, slack_pacing=False)
        async with bootstrap.started(
            settings,
            clock=clock,
            transport=transport,
            env_overrides=target_env("http://receiver.invalid", ["ops"]),
            run_timer=False,
            run_worker=False,
        ) as runtime:
            first = start + timedelta(seconds=60)
            end = first + timedelta(seconds=cues + 600)
            reminders = [(first + timedelta(seconds=i), None) for i in range(cues)]
            await runtime.engine.load_schedule(schedule_yaml(EVENT, start, end, reminders, ["ops"]), "p.yaml")
            for n in range(pending // 200):  # other events' cues, all due after this run
                later = end + timedelta(days=1)
                many = [(later + timedelta(seconds=i), None) for i in range(200)]
                text = schedule_yaml(f"other-{n}", later, later + timedelta(hours=1), many, ["ops"])
                await runtime.engine.load_schedule(text, f"o{n}.yaml")
            runtime.engine.dispatch.begin(_KeepHandOff())  # as the running worker takes them
            # Every engine's statements: the firing thread's own (SQLite) as well as the async engine's.
            sa_event.listen(Engine, "before_cursor_execute", count)
            builds = 0
            import app.engine.cache as cache_module
            import app.engine.writer as writer_module

            def counted(plain):
                def build(*args, **kwargs):
                    nonlocal builds
                    builds += 1
                    return plain(*args, **kwargs)

                return build

            for module in (cache_module, writer_module):  # every timeline the engine builds
                module.build_timeline = counted(module.build_timeline)  # type: ignore[attr-defined]
            profiler = cProfile.Profile() if profile else None
            fired, cpu = 0, 0.0
            for i in range(cues):
                clock.set(first + timedelta(seconds=i))
                if actions and i and i % 20 == 0:
                    await runtime.run.hold(EVENT, "bench")
                    await runtime.run.resume(EVENT, "bench")
                began = time.process_time()
                if profiler:
                    profiler.enable()
                result = await runtime.engine.tick()
                if profiler:
                    profiler.disable()
                cpu += time.process_time() - began
                fired += len(result)
            sa_event.remove(Engine, "before_cursor_execute", count)
    if profiler and profile:
        profiler.dump_stats(profile)
    return {
        "fired": fired,
        "statements per cue": statements / max(fired, 1),
        "timeline builds": builds,
        "tick CPU ms per cue (shown)": cpu * 1000 / max(fired, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cues", type=int, default=200)
    parser.add_argument("--pending", type=int, default=0, help="other events' pending cues (multiples of 200)")
    parser.add_argument("--profile", help="write the ticks' cProfile stats here")
    parser.add_argument("--actions", action="store_true", help="a hold and a resume every 20 cues")
    args = parser.parse_args()
    figures = asyncio.run(run(args.cues, args.pending, args.profile, args.actions))
    for name, value in figures.items():
        print(f"  {name:<30} {value:10.2f}")
    return 0 if figures["fired"] >= args.cues else 1


if __name__ == "__main__":
    sys.exit(main())
