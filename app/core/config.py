"""Settings: the only place that reads the environment (SHOWCALLER_* variables or a .env file)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from schedules.i18n import CatalogSearch

PLACEHOLDERS = {"changethis", "change-me", "secret", "xxx"}


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class Settings(BaseSettings):
    """Every setting of the service; see README "Settings" for each one."""

    model_config = SettingsConfigDict(env_prefix="SHOWCALLER_", env_file=".env", extra="ignore", env_ignore_empty=True)

    database_url: str = Field("sqlite+aiosqlite:///./showcaller.db", description="SQLite file or PostgreSQL URL")
    public_url: str | None = Field(
        None, description="where people reach this service: the base of every link (invites, messages)"
    )
    zoom_account_id: str | None = None
    zoom_client_id: str | None = None
    zoom_client_secret: SecretStr | None = None
    zoom_webhook_secret_token: SecretStr | None = Field(None, description="Zoom app's webhook secret token")
    zoom_api_base: str = "https://api.zoom.us/v2"
    zoom_oauth_base: str = "https://zoom.us"
    zoom_webhook_max_age_minutes: int = Field(90, ge=1, description="oldest x-zm-request-timestamp accepted")
    zoom_webhook_max_future_minutes: int = Field(5, ge=0)
    zoom_rate_plan: str = Field(
        "pro",
        pattern="^(free|pro|business|off)$",
        description="Zoom plan whose per-category rate limits the client keeps under",
    )
    sandbox_webhook_secret: SecretStr = SecretStr("emulator-secret-token")
    sandbox_state_path: str = Field(".showcaller-sandbox-zoom.json", description="where the sandbox Zoom keeps state")
    http_timeout_seconds: float = Field(10.0, gt=0)
    # At most a day, like a delay: no message may hold its target's lane for longer than an event lasts.
    delivery_give_up_minutes: int = Field(
        15, ge=1, le=24 * 60, description="stop retrying a cue this long after it fired"
    )
    # The Mekong plan as a whole is 133 messages (an undo of an early end re-opens about that many).
    max_messages_per_action: int = Field(
        1000,
        ge=1,
        le=100_000,
        description="most messages (cue x target) one host action may queue; more: 422, nothing recorded",
    )
    slack_pacing: bool = Field(True, description="at most one message per second per Slack URL")
    readiness_grace_seconds: int = 0
    # Short on purpose: a chat message lives on, and its button must stop working once the moment passed.
    action_link_minutes: int = Field(
        15, ge=1, le=24 * 60, description="how long a chat message's action button (single-use link) works"
    )
    undo_window_seconds: int = Field(120, ge=0, le=3600, description="how long after a host action it can be undone")
    timer_over_grace_seconds: int = Field(
        30, ge=0, le=3600, description="how long a timer shows OVER before it stops by itself"
    )
    max_schedule_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        le=64 * 1024 * 1024,
        description="largest schedule file accepted, in bytes (validate, serve, API)",
    )
    max_json_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="largest body of a JSON action (announcements, timers, ...), in bytes"
    )
    max_webhook_body_bytes: int = Field(512 * 1024, ge=1024, description="largest Zoom webhook body, in bytes")
    max_other_body_bytes: int = Field(
        64 * 1024, ge=0, description="largest body to any other path (routes without one, unknown paths), in bytes"
    )
    schedule_parse_seconds: float = Field(10.0, gt=0, description="time bound for parsing one uploaded schedule")
    schedule_parse_memory_mb: int = Field(512, ge=0, description="memory bound of the parsing process (0: none)")
    schedule_parse_workers: int = Field(1, ge=1, description="uploads parsed at the same time (others wait)")
    startup_inline_events: int = Field(
        10,
        ge=0,
        description="stored events loaded before the service answers; the rest load in the background",
    )
    public_streams_max: int = Field(
        2000,
        ge=0,
        description="open public agenda streams per process; past it 503 too_many_streams (pages poll)",
    )
    shutdown_grace_seconds: float = Field(
        5.0,
        ge=0,
        le=300,
        description="on SIGINT/SIGTERM: how long deliveries under way may finish (the rest go after the restart)",
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING, ERROR or CRITICAL (any case)")
    chromium: str = Field("chromium", description="the Chromium that prints run sheets as PDF (name or path)")
    # Outside the installed package, so a pip-installed or containerised service takes an organiser's
    # Thai catalog without anyone editing site-packages (docs/localisation.md).
    catalogs: Path | None = Field(
        None, description="a folder of the organiser's translation catalogs, read before the shipped ones"
    )
    server: str | None = Field(None, description="the service the remote commands talk to (showcaller --server)")
    token: SecretStr | None = Field(None, description="the API token the remote commands send (--token)")

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        # uvicorn and logging know only these; anything else ("verbose") failed deep in start-up.
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"not a log level; use one of {', '.join(LOG_LEVELS)}")
        return value

    @field_validator("catalogs")
    @classmethod
    def _a_folder(cls, value: Path | None) -> Path | None:
        # It may not exist yet (`showcaller locale init th` creates it), but a file is a mistake.
        if value is not None and value.exists() and not value.is_dir():
            raise ValueError(f"{value} is a file, not a folder of catalogs (<locale>/LC_MESSAGES/showcaller.po)")
        return value

    def catalog_search(self, drafts: bool = False) -> CatalogSearch:
        """Where catalogs are read: the organiser's folder first, then the shipped ones; `drafts`
        only for a rehearsal's preview."""
        from schedules.i18n import CatalogSearch  # Babel, only when catalogs are read

        return CatalogSearch.of(self.catalogs, drafts=drafts)

    @model_validator(mode="after")
    def _no_placeholder_secrets(self) -> Settings:
        for name in ("zoom_client_secret", "zoom_webhook_secret_token"):
            value = getattr(self, name)
            if value is not None and value.get_secret_value().strip().lower() in PLACEHOLDERS:
                raise ValueError(f"SHOWCALLER_{name.upper()} is a placeholder; set the real value or unset it")
        return self

    @property
    def sandbox(self) -> bool:
        """True when no Zoom credentials are configured: the local Zoom emulator stands in."""
        return not (self.zoom_account_id and self.zoom_client_id and self.zoom_client_secret)

    @property
    def webhook_secret(self) -> str:
        """The secret Zoom webhooks are verified with (the emulator's in the sandbox)."""
        if self.zoom_webhook_secret_token is not None:
            return self.zoom_webhook_secret_token.get_secret_value()
        return self.sandbox_webhook_secret.get_secret_value()


ENV_FILE = Path(".env")
SECRET_WORDS = ("secret", "token", "password", "key")


def env_file_values(path: Path = ENV_FILE) -> dict[str, str]:
    """The variables a .env file in the working directory sets (empty when there is none)."""
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {name: value for name, value in dotenv_values(path).items() if value}


def env_value(name: str) -> str | None:
    """A variable named by a schedule file (target URLs and secrets): the environment, else .env; None if unset."""
    value = os.environ.get(name) or env_file_values().get(name)
    return value if value else None


def env_source(name: str) -> str:
    """Where a variable comes from: "environment", ".env" or "unset"."""
    if os.environ.get(name):
        return "environment"
    return ".env" if env_file_values().get(name) else "unset"


def is_secret(name: str) -> bool:
    """True for variables whose values must never be printed (tokens, secrets, passwords, keys)."""
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def mask(value: str) -> str:
    """A secret shown as its length only: enough to see it is set, nothing to copy."""
    return f"*** ({len(value)} characters)"


def setting_sources(settings: Settings, options: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(variable, shown value, source) for every setting; secrets are masked, URLs lose their password.

    `options` names the settings a command-line option set (source "option").
    """
    environ = {k.upper(): v for k, v in os.environ.items() if v}
    dotenv = {k.upper(): v for k, v in env_file_values().items()}
    rows = []
    for name in Settings.model_fields:
        variable = f"SHOWCALLER_{name.upper()}"
        value = getattr(settings, name)
        if options and name in options:
            source = "option"
        elif variable in environ:
            source = "environment"
        elif variable in dotenv:
            source = ".env"
        else:
            source = "default"
        if value is None:
            shown = "(unset)"
        elif isinstance(value, SecretStr):
            shown = mask(value.get_secret_value())
        else:
            shown = without_password(str(value))
        rows.append((variable, shown, source))
    return rows


def without_password(value: str) -> str:
    """A URL with its password replaced by ***."""
    if "://" in value and "@" in value:
        scheme, rest = value.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        if ":" in creds:
            return f"{scheme}://{creds.split(':')[0]}:***@{host}"
    return value


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
