"""Turn a schedule's targets into ready notifier configs, reading the env variables they name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.core.config import env_value
from integrations.notifiers.errors import NotifierError
from integrations.notifiers.target import TargetConfig
from schedules.model import Schedule, Target


@dataclass(frozen=True)
class Resolved:
    """Usable configs by target id, and why each other target cannot be used."""

    configs: dict[str, TargetConfig]
    problems: dict[str, str]


Lookup = Callable[[str], str | None]


def _one(target: Target, env: Lookup) -> TargetConfig:
    url = env(target.url_env)
    if url is None:
        raise NotifierError(f"environment variable {target.url_env} is not set (the URL of target '{target.id}')")
    values: dict = {
        "id": target.id,
        "kind": target.kind.value,
        "url": url,
        "timezone": target.timezone,
        "mode": target.mode.value,
        "channel": target.channel,
    }
    for field, name in (("token", target.token_env), ("secret", target.secret_env)):
        if name:
            value = env(name)
            if value is None:
                raise NotifierError(f"environment variable {name} is not set ({field} of target '{target.id}')")
            values[field] = value
    return TargetConfig.build(**values)


def resolve_targets(schedule: Schedule, env: Lookup = env_value) -> Resolved:
    """Every target of a schedule, built from the environment; problems never echo secrets."""
    configs, problems = {}, {}
    for target in schedule.targets:
        try:
            configs[target.id] = _one(target, env)
        except NotifierError as exc:
            problems[target.id] = str(exc)
    return Resolved(configs, problems)
