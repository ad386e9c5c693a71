"""Settings: the only place that reads the environment (SHOWCALLER_* variables or a .env file)."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDERS = {"changethis", "change-me", "secret", "xxx"}


class Settings(BaseSettings):
    """Every setting of the service; see README "Settings" for each one."""

    model_config = SettingsConfigDict(env_prefix="SHOWCALLER_", env_file=".env", extra="ignore",
                                      env_ignore_empty=True)

    database_url: str = Field("sqlite+aiosqlite:///./showcaller.db", description="SQLite file or PostgreSQL URL")
    public_url: str = Field("http://127.0.0.1:8000", description="where hosts reach this service (links)")
    zoom_account_id: str | None = None
    zoom_client_id: str | None = None
    zoom_client_secret: SecretStr | None = None
    zoom_webhook_secret_token: SecretStr | None = Field(None, description="Zoom app's webhook secret token")
    zoom_api_base: str = "https://api.zoom.us/v2"
    zoom_oauth_base: str = "https://zoom.us"
    zoom_webhook_max_age_minutes: int = Field(90, ge=1, description="oldest x-zm-request-timestamp accepted")
    zoom_webhook_max_future_minutes: int = Field(5, ge=0)
    zoom_rate_plan: str = Field("pro", pattern="^(free|pro|business|off)$",
                                description="Zoom plan whose per-category rate limits the client keeps under")
    sandbox_webhook_secret: SecretStr = SecretStr("emulator-secret-token")
    sandbox_state_path: str = Field(".showcaller-sandbox-zoom.json", description="where the sandbox Zoom keeps state")
    http_timeout_seconds: float = Field(10.0, gt=0)
    delivery_give_up_minutes: int = Field(15, ge=1, description="stop retrying a cue this long after it fired")
    slack_pacing: bool = Field(True, description="at most one message per second per Slack URL")
    readiness_grace_seconds: int = 0
    log_level: str = "INFO"

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


def env_value(name: str) -> str | None:
    """A variable named by a schedule file (target URLs and secrets); None when unset or empty."""
    value = os.environ.get(name)
    return value if value else None


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
