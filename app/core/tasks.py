"""Ending background tasks for sure."""

from __future__ import annotations

import asyncio
import contextlib


async def cancel_and_wait(task: asyncio.Task, retry_seconds: float = 1.0) -> None:
    """Cancel `task` and wait until it has ended.

    One cancel is not always enough on Python 3.11: `asyncio.wait_for` can swallow a cancellation
    that arrives just as the awaitable it wraps completes (fixed in 3.12), and a loop around it then
    goes on as if nothing happened. A shutdown awaiting such a task hung for good (seen in the test
    suite as a 120 s teardown timeout). So cancel again until the task is done.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=retry_seconds)
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()  # retrieved, so an exception it ended with is not reported as never retrieved
