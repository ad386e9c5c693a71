"""deploy/compose.yaml (no container engine in CI): the topology the multi-instance tests start from
processes, checked as data: PostgreSQL, two instances on it, a balancer over both. The file is run for
real by `make smoke` (deploy/container-smoke.sh --compose)."""

from __future__ import annotations

import re

import yaml

from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _instances(compose: dict) -> dict[str, dict]:
    return {name: spec for name, spec in compose["services"].items() if name.startswith("showcaller-")}


def test_compose_runs_two_instances_on_one_postgres_behind_a_balancer():
    compose = _compose()
    services = compose["services"]
    instances = _instances(compose)
    assert len(instances) == 2
    urls = {spec["environment"]["SHOWCALLER_DATABASE_URL"] for spec in instances.values()}
    assert len(urls) == 1 and next(iter(urls)).startswith("postgresql://") and "@postgres:" in next(iter(urls))
    for spec in instances.values():
        assert spec["depends_on"]["postgres"]["condition"] == "service_healthy"
        # A lost lease exits (status 14), and an instance started before PostgreSQL answers exits
        # (status 5) where the engine ignores the health condition: both come back by this policy.
        assert spec["restart"] == "unless-stopped"
        assert spec["command"][:2] == ["showcaller", "serve"] and "0.0.0.0" in spec["command"]
    assert len({spec["ports"][0] for spec in instances.values()}) == 2
    assert "healthcheck" in services["postgres"]


def test_the_balancer_reads_its_caddyfile_from_a_file_over_both_instances():
    """Inline `configs: content:` is not honoured by every engine (podman-compose): a mounted file is."""
    compose = _compose()
    balancer = compose["services"]["balancer"]
    assert "configs" not in compose and "configs" not in balancer
    mounts = [m.split(":") for m in balancer["volumes"]]
    assert [source for source, target, *_ in mounts if target == "/etc/caddy/Caddyfile"] == ["./Caddyfile"]
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    upstreams = re.search(r"reverse_proxy ([^{]+)\{", caddyfile).group(1).split()
    assert sorted(upstreams) == sorted(f"{name}:8000" for name in _instances(compose))
    assert "health_uri /readyz" in caddyfile  # traffic on readiness; /healthz answers while starting
    assert "flush_interval -1" in caddyfile  # event streams are not buffered
    listen = re.search(r"^:(\d+) \{", caddyfile, re.M).group(1)
    assert balancer["ports"][0].endswith(f":{listen}")


def test_host_ports_can_be_moved_and_default_to_the_documented_ones():
    """The smoke test moves them (a shared machine may already use 8000); README names 8000-8002."""
    compose = _compose()
    ports = [compose["services"]["balancer"]["ports"][0]] + [s["ports"][0] for s in _instances(compose).values()]
    defaults = sorted(re.search(r"\$\{\w+:-(\d+)\}", port).group(1) for port in ports)
    assert defaults == ["8000", "8001", "8002"]
