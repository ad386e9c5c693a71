"""bench/viewers.py (B9): its options, each started instance's stream cap, and the database of its
own that the across-instances mode makes and must drop. No benchmark runs here."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bench import _common, viewers
from tests.conftest import _postgres_url

PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def _refused(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as stopped:
        viewers.parse_args(argv)
    assert stopped.value.code == 2
    return capsys.readouterr().err


def test_several_instances_need_postgres(capsys):
    assert "--instances 3 needs --postgres" in _refused(["--instances", "3"], capsys)


def test_running_servers_and_started_instances_exclude_each_other(capsys):
    argv = ["--servers", "http://127.0.0.1:8001", "--token", "t", "--instances", "3", "--postgres", PG]
    assert "--servers measures instances already running" in _refused(argv, capsys)


def test_postgres_wants_an_asyncpg_url(capsys):
    err = _refused(["--instances", "2", "--postgres", "postgres://127.0.0.1/test"], capsys)
    assert "expected postgresql+asyncpg://" in err


def test_at_least_one_instance(capsys):
    assert "at least 1" in _refused(["--instances", "0"], capsys)


def test_postgres_without_a_url_uses_the_bench_server():
    args = viewers.parse_args(["--instances", "3", "--postgres"])
    assert (args.instances, args.postgres, args.servers) == (3, _common.POSTGRES_ADMIN_URL, [])


def test_one_instance_on_sqlite_stays_the_default():
    args = viewers.parse_args([])
    assert (args.instances, args.postgres, args.clients) == (1, "", 10_000)
    assert viewers.stream_cap(args) == 10_000


@pytest.mark.parametrize(("clients", "instances"), [(10_000, 3), (300, 3), (7, 2), (2, 3), (5, 1)])
def test_each_instance_holds_its_round_robin_share_and_the_first_is_full(clients, instances):
    args = viewers.parse_args(["--clients", str(clients), "--instances", str(instances), "--postgres", PG])
    servers = [f"http://127.0.0.1:{8001 + n}" for n in range(instances)]
    targets = viewers.spread_clients(servers, "ev", clients)
    assert all(servers[n].endswith(f":{port}") for _, port, _, n in targets)  # each names its server
    shares = Counter(n for *_, n in targets)
    cap = viewers.stream_cap(args)
    assert sum(shares.values()) == clients
    assert max(shares.values()) <= cap  # every client fits under its instance's cap
    assert shares[0] == cap  # so one more client on the first instance is past the cap


def test_an_explicit_cap_wins():
    args = viewers.parse_args(["--clients", "300", "--instances", "3", "--postgres", PG, "--cap", "50"])
    assert viewers.stream_cap(args) == 50


async def _databases(url: str) -> set[str]:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return {row["datname"] for row in await conn.fetch("SELECT datname FROM pg_database")}
    finally:
        await conn.close()


@pytest.mark.postgres
async def test_the_database_of_its_own_is_dropped_after_a_failure():
    base = _postgres_url()
    with pytest.raises(RuntimeError, match="the bench failed"):
        async with _common.fresh_postgres("bench_b9", base) as url:
            name = url.rsplit("/", 1)[1]
            assert name.startswith("bench_b9_") and name in await _databases(base)
            raise RuntimeError("the bench failed")
    assert name not in await _databases(base)


@pytest.mark.postgres
async def test_the_database_of_its_own_is_dropped_when_the_run_is_cancelled():
    """Ctrl-C and SIGTERM cancel the run's task; the database still goes."""
    base = _postgres_url()
    made: asyncio.Queue[str] = asyncio.Queue()

    async def bench() -> None:
        async with _common.fresh_postgres("bench_b9", base) as url:
            await made.put(url.rsplit("/", 1)[1])
            await asyncio.Event().wait()  # a run that would go on

    task = asyncio.create_task(bench())
    name = await asyncio.wait_for(made.get(), 30)
    assert name in await _databases(base)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert name not in await _databases(base)


@pytest.mark.postgres
async def test_each_run_gets_a_new_name():
    base = _postgres_url()
    async with _common.fresh_postgres("bench_b9", base) as first, _common.fresh_postgres("bench_b9", base) as second:
        assert first != second
