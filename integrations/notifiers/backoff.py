"""Retry timing for live events: full-jitter exponential backoff, seconds up to minutes."""

from __future__ import annotations

import random

from integrations.notifiers.outcome import DeliveryOutcome

_RNG = random.Random()


def backoff(attempt: int, *, base: float = 2.0, cap: float = 120.0, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based): U(0, min(cap, base·2^(n-1)))."""
    if attempt < 1:
        raise ValueError("attempt is 1-based")
    ceiling = min(cap, base * 2 ** min(attempt - 1, 62))
    return (rng or _RNG).uniform(0.0, ceiling)


def retry_delay(
    outcome: DeliveryOutcome,
    attempt: int,
    *,
    base: float = 2.0,
    cap: float = 120.0,
    rng: random.Random | None = None,
) -> float:
    """Delay before the next try: the receiver's Retry-After when given, else `backoff()`."""
    if outcome.retry_after is not None:
        # The receiver knows its own limits (even beyond `cap`); adding backoff on top would
        # only make a live cue later.
        return outcome.retry_after
    return backoff(attempt, base=base, cap=cap, rng=rng)
