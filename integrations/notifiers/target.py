"""Where a notification goes: one validated target (kind, URL, credentials, display zone)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from integrations.notifiers.errors import TargetConfigError
from integrations.notifiers.kinds import TargetKind
from integrations.notifiers.masking import mask_url, secret_fragments
from integrations.notifiers.message import zone
from integrations.notifiers.urls import check_url

__all__ = ["TargetConfig", "TargetKind", "check_url", "decode_webhook_secret"]


def decode_webhook_secret(secret: str) -> bytes:
    """The key bytes of a Standard Webhooks secret (`whsec_` + base64); ValueError if malformed."""
    body = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("webhook secret must be 'whsec_' followed by base64") from None
    if len(key) < 16:
        raise ValueError("webhook secret must hold at least 16 random bytes (24 to 64 recommended)")
    return key


class TargetConfig(BaseModel):
    """A resolved target: kind, URL and credentials (secrets never shown in repr or errors)."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    id: str = Field(min_length=1, max_length=64)
    kind: TargetKind
    url: SecretStr
    token: SecretStr | None = None
    secret: SecretStr | None = None
    timezone: str | None = None
    # "app": slack posts with the app's bot token (`token`) to `channel` through the Web API at `url`
    # and its clicks are verified with the signing secret (`secret`); discord posts through an
    # application-owned webhook and its clicks are verified with the application's public key (`secret`).
    mode: Literal["webhook", "app"] = "webhook"
    channel: str | None = None

    @field_validator("url", "token", "secret", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        # Values pasted into .env files often carry a trailing newline or spaces.
        return value.strip() if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            zone(value)
        return value

    @model_validator(mode="after")
    def _fits_kind(self) -> TargetConfig:
        try:
            check_url(self.kind, self.url.get_secret_value(), app=self.app)
        except ValueError as exc:
            raise TargetConfigError(str(exc), target_id=self.id) from None
        self._check_credentials()
        return self

    @property
    def app(self) -> bool:
        """True when this target posts as a chat app whose buttons call back (mode: app)."""
        return self.mode == "app"

    def _check_credentials(self) -> None:
        kind, tid = self.kind, self.id
        if self.app:
            self._check_app()
            return
        if kind is TargetKind.zoom_chat and not _present(self.token):
            raise TargetConfigError(
                "zoom_chat needs the verification token that `/inc connect` printed (token_env)",
                target_id=tid,
            )
        if kind is not TargetKind.zoom_chat and _present(self.token):
            raise TargetConfigError(f"{kind.value} takes no token; remove it", target_id=tid)
        if kind is TargetKind.webhook:
            if not _present(self.secret):
                raise TargetConfigError(
                    "webhook needs a signing secret (secret_env); make one with: "
                    'python -c "import base64,os;'
                    "print('whsec_'+base64.b64encode(os.urandom(32)).decode())\"",
                    target_id=tid,
                )
            try:
                decode_webhook_secret(self.secret.get_secret_value())  # type: ignore[union-attr]  # checked above: webhooks have a secret
            except ValueError as exc:
                raise TargetConfigError(str(exc), target_id=tid) from None
        elif _present(self.secret):
            raise TargetConfigError(f"{kind.value} takes no signing secret", target_id=tid)

    def _check_app(self) -> None:
        kind, tid = self.kind, self.id
        if kind is TargetKind.slack:
            if not _present(self.token):
                raise TargetConfigError("slack in mode app needs the bot token (token_env, xoxb-…)", target_id=tid)
            if not _present(self.secret):
                raise TargetConfigError("slack in mode app needs the app's signing secret (secret_env)", target_id=tid)
            if not self.channel:
                raise TargetConfigError("slack in mode app needs the channel ID to post in", target_id=tid)
        elif kind is TargetKind.discord:
            if _present(self.token):
                raise TargetConfigError("discord takes no token; remove it", target_id=tid)
            try:
                key = bytes.fromhex(self.secret.get_secret_value()) if self.secret else b""
            except ValueError:
                key = b""
            if len(key) != 32:
                raise TargetConfigError(
                    "discord in mode app needs the application's public key (secret_env): 64 hex digits, "
                    "from the Developer Portal → your application → General Information",
                    target_id=tid,
                )
        elif kind is TargetKind.zoom_chat:
            if not _present(self.token):
                raise TargetConfigError(
                    "zoom_chat needs the verification token that `/inc connect` printed (token_env)", target_id=tid
                )
            if not _present(self.secret):
                raise TargetConfigError(
                    "zoom_chat in mode app needs the chatbot's secret token (secret_env)", target_id=tid
                )
        else:
            raise TargetConfigError(
                f"{kind.value} cannot post as an app (mode app is for slack, discord and zoom_chat)", target_id=tid
            )

    @classmethod
    def build(cls, **values: object) -> TargetConfig:
        """Validate `values`; raise TargetConfigError (safe to log: no input echoed) on failure.

        Prefer this to the constructor when the error may be logged: pydantic's
        `ValidationError.errors()` carries the raw input (including the URL) unless called with
        `include_input=False`.
        """
        try:
            return cls(**values)
        except ValidationError as exc:
            problems = []
            for err in exc.errors(include_input=False, include_url=False):
                where = ".".join(str(p) for p in err["loc"])
                problems.append(f"{where}: {err['msg']}" if where else err["msg"])
            raw_id = values.get("id")
            target_id = raw_id if isinstance(raw_id, str) else None
            message = "; ".join(p.removeprefix("Value error, ") for p in problems)
            if target_id:
                message = message.replace(f"target '{target_id}': ", "")
            raise TargetConfigError(message, target_id=target_id) from None

    @property
    def masked_url(self) -> str:
        """The URL safe to show: https://hooks.slack.com/services/T000/…"""
        # A generic webhook may carry its secret anywhere in the path; show less of it.
        keep = 1 if self.kind is TargetKind.webhook else 2
        return mask_url(self.url.get_secret_value(), keep_segments=keep)

    @property
    def url_key(self) -> str:
        """A stable, non-reversible key for this URL (pacing, metrics)."""
        return hashlib.sha256(self.url.get_secret_value().encode()).hexdigest()[:16]

    @property
    def zoom_format(self) -> str:
        """The `format` query of a zoom_chat endpoint ('message' when absent)."""
        query = parse_qs(urlsplit(self.url.get_secret_value()).query)
        return (query.get("format") or ["message"])[0]

    def secrets(self) -> list[str]:
        """Every string of this target that must be masked in text shown to people."""
        return secret_fragments(
            self.url.get_secret_value(),
            self.token.get_secret_value() if self.token else None,
            self.secret.get_secret_value() if self.secret else None,
        )

    def __repr__(self) -> str:
        return f"TargetConfig(id={self.id!r}, kind={self.kind.value!r}, url={self.masked_url!r})"

    __str__ = __repr__


def _present(value: SecretStr | None) -> bool:
    return value is not None and bool(value.get_secret_value())
