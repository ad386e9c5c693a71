"""Where people reach this service: the base of every link handed to a person.

Links go into invites, presenter links and chat messages that people open on their own machines,
so a link that silently pointed at 127.0.0.1 reached nobody. Anything that hands out links needs
SHOWCALLER_PUBLIC_URL, or is told that local links are wanted (`--local`); `serve` derives a local
one from the address it listens on, and says that people elsewhere cannot use it.
"""

from __future__ import annotations

from app.core.config import Settings

# `--local`: the address `showcaller serve` listens on by default.
LOCAL_URL = "http://127.0.0.1:8000"
MISSING = (
    "SHOWCALLER_PUBLIC_URL is not set, so these links would point nowhere people can reach. "
    "Fix: set it to the address people open this service at (https://...), "
    f"or pass --local for links that work on this machine only ({LOCAL_URL})"
)


class PublicUrlMissing(Exception):
    """Links were asked for, and no public URL is set."""

    def __init__(self) -> None:
        super().__init__(MISSING)


def base(url: str) -> str:
    return url.rstrip("/")


def required(settings: Settings, *, local: bool = False) -> str:
    """The base URL for links: the setting, else LOCAL_URL when `local`; raises PublicUrlMissing."""
    if settings.public_url:
        return base(settings.public_url)
    if local:
        return LOCAL_URL
    raise PublicUrlMissing()


def for_serve(settings: Settings, host: str, port: int) -> tuple[str, str | None]:
    """(the URL `serve` hands out, a warning or None): the setting, else one derived from where it listens."""
    if settings.public_url:
        return base(settings.public_url), None
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:  # an IPv6 address in a URL is bracketed
        shown = f"[{shown}]"
    url = f"http://{shown}:{port}"
    return url, (
        f"SHOWCALLER_PUBLIC_URL is not set: links in messages and on the console use {url}, "
        "which people outside this machine cannot open. Fix: set SHOWCALLER_PUBLIC_URL to the "
        "address people reach this service at"
    )


def console_links(public_url: str | None, event_id: str) -> list[tuple[str, str]]:
    """The "Host console" link of a message; none without a public URL (nothing reachable to link to)."""
    from schedules.cue_words import HOST_CONSOLE  # (the schedule model: not before `serve` listens)

    if not public_url:
        return []
    return [(HOST_CONSOLE, f"{base(public_url)}/console/{event_id}")]
