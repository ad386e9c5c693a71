"""Benchmark: cold-cache token fetching and Retry-After handling of the Zoom client, on loopback.

Setup: the Zoom emulator runs under uvicorn on 127.0.0.1 (a free port). A fault makes the first
3 API calls answer `429` with `Retry-After: 1` (code 4001); every later call succeeds. Then 100
`get_user` calls start at the same moment with an empty token cache.

Targets (exit status 1 if one is missed):
- token fetches: exactly 1 for the whole run (0.01 per call), however many calls race.
- elapsed / total Retry-After <= 1.2.

"Total Retry-After" is the longest chain of Retry-After waits that one single call had to make:
for each call we add up the Retry-After seconds it slept before succeeding, and take the
maximum over calls. It is the least possible elapsed time of the run (a client cannot finish
before its slowest call has waited out what Zoom asked), so the ratio measures pure overhead:
1.0 is perfect, 1.2 allows 20 % for token fetch, HTTP and scheduling. Waits of different calls
overlap in time, so summing them across calls would overstate the lower bound and hide overhead.

Real sleeping is used here on purpose (benchmark, not a test). Bounded by a 30 s timeout.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from integrations.zoom import RetryPolicy, ZoomClient  # noqa: E402
from integrations.zoom_emulator import Fault, create_emulator  # noqa: E402

CALLS = 100
FAULTED = 3
RETRY_AFTER = 1
MAX_RATIO = 1.2
CREDS = {"account_id": "bench-acct", "client_id": "bench-id", "client_secret": "bench-secret"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def run() -> int:
    emulator = create_emulator(**CREDS)
    emulator.add_fault(
        Fault(
            429,
            method="GET",
            path=r"^/v2/users/",
            times=FAULTED,
            body={"code": 4001, "message": "You have reached the maximum per-second rate limit."},
            headers={"Retry-After": str(RETRY_AFTER)},
        )
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(emulator, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)

    waited: dict[asyncio.Task, float] = defaultdict(float)

    async def recording_sleep(seconds: float) -> None:
        task = asyncio.current_task()
        assert task is not None
        waited[task] += seconds
        await asyncio.sleep(seconds)

    base = f"http://127.0.0.1:{port}"
    limits = httpx.Limits(max_connections=CALLS, max_keepalive_connections=CALLS)
    try:
        async with httpx.AsyncClient(timeout=10.0, limits=limits) as http:
            client = ZoomClient(
                http,
                api_base=f"{base}/v2",
                oauth_base=base,
                policy=RetryPolicy(max_attempts=4),
                sleep=recording_sleep,
                **CREDS,
            )
            began = time.perf_counter()
            tasks = [asyncio.create_task(client.get_user("host@example.org")) for _ in range(CALLS)]
            await asyncio.gather(*tasks)
            elapsed = time.perf_counter() - began
    finally:
        server.should_exit = True
        await serving

    fetches = client.tokens.fetch_count
    longest_chain = max((waited[t] for t in tasks), default=0.0)
    ratio = elapsed / longest_chain if longest_chain else float("inf")
    limited = sum(1 for t in tasks if waited[t] > 0)
    print(f"calls: {CALLS}, answered 429 first: {emulator.faults[0].hits}, calls that waited: {limited}")
    print(f"token fetches: {fetches} total, {fetches / CALLS:.2f} per call (target: 1 total)")
    print(
        f"elapsed: {elapsed:.3f}s, total Retry-After (longest per-call chain): {longest_chain:.3f}s, "
        f"ratio: {ratio:.3f} (target <= {MAX_RATIO})"
    )
    ok = fetches == 1 and longest_chain > 0 and ratio <= MAX_RATIO
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def main() -> int:
    try:
        return asyncio.run(asyncio.wait_for(run(), timeout=30))
    except TimeoutError:
        print("FAIL: benchmark exceeded 30 s")
        return 1


if __name__ == "__main__":
    sys.exit(main())
