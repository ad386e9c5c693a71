"""deploy/compose.yaml (Docker has no engine in CI): the topology the multi-instance tests start from
processes, checked as data: PostgreSQL, two instances on it, a balancer over both."""

from __future__ import annotations

import yaml

from tests.conftest import ROOT


def test_compose_runs_two_instances_on_one_postgres_behind_a_balancer():
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    instances = {name: spec for name, spec in services.items() if name.startswith("showcaller-")}
    assert len(instances) == 2
    urls = {spec["environment"]["SHOWCALLER_DATABASE_URL"] for spec in instances.values()}
    assert len(urls) == 1 and next(iter(urls)).startswith("postgresql://") and "@postgres:" in next(iter(urls))
    for spec in instances.values():
        assert spec["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert spec["restart"] == "unless-stopped"  # a lost lease exits (status 14); it comes back a standby
        assert spec["command"][:2] == ["showcaller", "serve"] and "0.0.0.0" in spec["command"]
    assert len({spec["ports"][0] for spec in instances.values()}) == 2
    assert "healthcheck" in services["postgres"]
    caddyfile = compose["configs"]["caddyfile"]["content"]
    assert all(f"{name}:8000" in caddyfile for name in instances)
    assert "health_uri /healthz" in caddyfile
