"""Log output: readable text by default, or one JSON object per line for log collectors.

Records about a cue or a delivery carry `event_id`, `cue_id` and `delivery_id` (passed as
`extra=`); both formats show them, so a line can be traced to the run log and the outbox.
Secrets in URLs (`?token=`, `?ticket=`, `?access_token=`, and the secret in the path of a chat
message's action link, `/act/<event>/<secret>`) are redacted from uvicorn's lines.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

CONTEXT_FIELDS = ("event_id", "cue_id", "delivery_id", "target_id")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and the run context when known."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`LEVEL logger: message [event=... cue=... delivery=...]`."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(
            f"{name.removesuffix('_id')}={getattr(record, name)}"
            for name in CONTEXT_FIELDS
            if getattr(record, name, None) is not None
        )
        return f"{line} [{context}]" if context else line


def log_config(fmt: str, level: str) -> dict:
    """A logging.config dict for uvicorn and the app: `fmt` is "text" or "json"."""
    formatter = "json" if fmt == "json" else "text"
    handler = {"class": "logging.StreamHandler", "formatter": formatter, "stream": "ext://sys.stderr"}
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}, "text": {"()": TextFormatter}},
        "handlers": {"default": handler},
        "loggers": {
            "showcaller": {"handlers": ["default"], "level": level, "propagate": False},
            "integrations": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["default"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["default"], "level": "WARNING"},
    }


# --- secrets in URLs ---------------------------------------------------------------------------

SECRET_PARAMS = frozenset({"token", "ticket", "access_token"})
# Where a parameter may begin: `?`, `&`, `;` (some servers split on it, and `/x;token=` is a secret
# in a path all the same), and their encoded forms (uvicorn logs a path re-quoted: `;` as `%3B`).
_SEPARATOR = re.compile(r"(\?|&|;|%3[bBfF]|%26)")
_BLANK = re.compile(r"\s")
_ENDS_VALUE = ("&", ";")  # a secret's value runs on past `?` or encoded separators up to these
_DECODE_ROUNDS = 3  # `%2574oken` is `%74oken` is `token`: decoding past what a server does only redacts more


def _decoded(text: str) -> str:
    for _ in range(_DECODE_ROUNDS):
        plain = unquote_plus(text)
        if plain == text:
            break
        text = plain
    return text


def _secret(param: str) -> str | None:
    """The redacted form of `name=value` when the decoded name is a secret's, else None."""
    name, has_value, _ = param.partition("=")
    plain = _decoded(name if has_value else param)
    if plain.partition("=")[0].strip().lower() not in SECRET_PARAMS or not (has_value or "=" in plain):
        return None
    # An encoded `=` in the name (`token%3Dabc`) carries the secret in the name: drop the name too.
    return f"{name}=[redacted]" if has_value and "=" not in plain else "[redacted]"


# An action link carries its secret as the last path segment (app/run/action_links.py): everything
# after `/act/<event>/` up to the end of the path is the secret, whatever it looks like.
_ACTION_PATH = re.compile(r"(/act/[^/\s?#]+/)[^\s?#]+", re.IGNORECASE)


def redact(text: str) -> str:
    """`/stream?ticket=abc&x=1` -> `/stream?ticket=[redacted]&x=1`, whatever the name's spelling:
    any case, percent- or `+`-encoded (`?%74oken=`, `%54OKEN`), after `?`, `&` or `;`; and
    `/act/<event>/<secret>` -> `/act/<event>/[redacted]`."""
    text = _ACTION_PATH.sub(r"\1[redacted]", text)
    pieces = _SEPARATOR.split(text)
    if len(pieces) == 1:
        return text
    out, in_secret = [pieces[0]], False
    for separator, chunk in zip(pieces[1::2], pieces[2::2], strict=True):
        blank = _BLANK.search(chunk)  # a value ends at white space (the end of the URL in a line)
        param, space, rest = (chunk[: blank.start()], blank.group(), chunk[blank.end() :]) if blank else (chunk, "", "")
        if in_secret and separator not in _ENDS_VALUE:  # still the secret's value
            if space:
                out.append(space + rest)
                in_secret = False
            continue
        hidden = _secret(param)
        if hidden is None:
            out.append(separator + chunk)
            in_secret = False
            continue
        out.append(separator + hidden + space + rest)
        in_secret = not space
    return "".join(out)


class RedactSecrets(logging.Filter):
    """Rewrites token/ticket query parameters out of a log record (uvicorn's access log passes the
    path as an argument, so the arguments are redacted as well as the message)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install_log_redaction() -> None:
    """Attach the filter to uvicorn's loggers once (kept when uvicorn configures logging later)."""
    for name in ("uvicorn.access", "uvicorn.error", "uvicorn"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
