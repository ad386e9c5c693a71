import asyncio
import random

import pytest

from integrations.notifiers import DeliveryOutcome, DeliveryResult, SlackPacer, backoff, retry_delay

from .test_sender import FakeTime


async def test_first_message_is_free_then_one_per_second_per_key():
    fake = FakeTime()
    pacer = SlackPacer(clock=fake.clock, sleep=fake.sleep)
    assert await pacer.wait("a") == 0.0
    assert await pacer.wait("a") == 1.0
    assert await pacer.wait("b") == 0.0  # other URLs are independent
    fake.now += 5  # idle time does not bank extra messages beyond the burst
    assert await pacer.wait("a") == 0.0
    assert await pacer.wait("a") == 1.0
    assert fake.slept == [1.0, 1.0]


async def test_concurrent_callers_are_spaced_not_bunched():
    fake = FakeTime()
    pacer = SlackPacer(clock=fake.clock, sleep=lambda s: asyncio.sleep(0))
    waits = await asyncio.gather(*(pacer.wait("hosts") for _ in range(5)))
    assert sorted(waits) == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_burst_allows_a_few_at_once():
    fake = FakeTime()
    pacer = SlackPacer(burst=3, clock=fake.clock)
    assert [pacer.reserve("k") for _ in range(5)] == [0.0, 0.0, 0.0, 1.0, 2.0]


async def test_disabled_pacer_never_waits():
    fake = FakeTime()
    pacer = SlackPacer(enabled=False, clock=fake.clock, sleep=fake.sleep)
    assert [await pacer.wait("k") for _ in range(10)] == [0.0] * 10
    pacer.defer("k", 60)
    assert await pacer.wait("k") == 0.0 and fake.slept == []


def test_ready_in_tells_the_wait_without_taking_the_slot():
    fake = FakeTime()
    pacer = SlackPacer(burst=2, clock=fake.clock)
    assert [pacer.ready_in("k"), pacer.reserve("k"), pacer.reserve("k")] == [0.0, 0.0, 0.0]
    assert pacer.ready_in("k") == pacer.ready_in("k") == 1.0  # asking twice takes nothing
    assert pacer.reserve("k") == 1.0
    pacer.defer("k", 30)  # after a 429: the worker expires what cannot wait that long
    assert pacer.ready_in("k") == 29.0 and pacer.ready_in("other") == 0.0


def test_defer_holds_a_key_back():
    fake = FakeTime()
    pacer = SlackPacer(clock=fake.clock)
    pacer.defer("k", 30)
    assert pacer.reserve("k") == 30.0
    assert pacer.reserve("other") == 0.0


def test_pacer_rejects_bad_parameters():
    with pytest.raises(ValueError):
        SlackPacer(interval=0)
    with pytest.raises(ValueError):
        SlackPacer(burst=0)


def test_backoff_full_jitter_bounds_grow_then_cap():
    rng = random.Random(7)
    for attempt, ceiling in [(1, 2), (2, 4), (3, 8), (6, 64), (7, 120), (50, 120), (10_000, 120)]:
        samples = [backoff(attempt, rng=rng) for _ in range(300)]
        assert all(0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling * 0.8  # full jitter spreads over the whole range
        assert min(samples) < ceiling * 0.2


def test_backoff_is_reproducible_with_a_seeded_rng_and_checks_attempt():
    assert backoff(3, rng=random.Random(1)) == backoff(3, rng=random.Random(1))
    assert backoff(2, base=0.5, cap=1, rng=random.Random(1)) <= 1
    with pytest.raises(ValueError):
        backoff(0)


def test_retry_delay_prefers_the_receivers_retry_after():
    rng = random.Random(3)
    told = DeliveryOutcome(DeliveryResult.retry, 429, retry_after=300.0)
    assert retry_delay(told, 1, rng=rng) == 300.0
    silent = DeliveryOutcome(DeliveryResult.retry, 503)
    assert 0 <= retry_delay(silent, 4, rng=rng) <= 16
