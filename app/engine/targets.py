"""Turn a schedule's targets into ready notifier configs, reading the env variables they name."""

from __future__ import annotations

from dataclasses import dataclass

from app.config import env_value
from integrations.notifiers.errors import NotifierError
from integrations.notifiers.target import TargetConfig
from schedules.model import Schedule, Target


@dataclass(frozen=True)
class Resolved:
    """Usable configs by target id, and why each other target cannot be used."""

    configs: dict[str, TargetConfig]
    problems: dict[str, str]


def _one(target: Target) -> TargetConfig:
    url = env_value(target.url_env)
    if url is None:
        raise NotifierError(f"environment variable {target.url_env} is not set (the URL of target '{target.id}')")
    values: dict = {"id": target.id, "kind": target.kind.value, "url": url, "timezone": target.timezone}
    for field, env in (("token", target.token_env), ("secret", target.secret_env)):
        if env:
            value = env_value(env)
            if value is None:
                raise NotifierError(f"environment variable {env} is not set ({field} of target '{target.id}')")
            values[field] = value
    return TargetConfig.build(**values)


def resolve_targets(schedule: Schedule) -> Resolved:
    """Every target of a schedule, built from the environment; problems never echo secrets."""
    configs, problems = {}, {}
    for target in schedule.targets:
        try:
            configs[target.id] = _one(target)
        except NotifierError as exc:
            problems[target.id] = str(exc)
    return Resolved(configs, problems)
