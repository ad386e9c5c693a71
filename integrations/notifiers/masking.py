"""Keep webhook URLs, tokens and signing keys out of logs, reprs and error messages."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

MASK = "…"
_SAFE_SEGMENT_LEN = 16


def mask_url(url: str, *, keep_segments: int = 2) -> str:
    """`url` with credentials, query, fragment and secret-looking path parts replaced by …."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return MASK
    if not parts.scheme or not host:
        return MASK
    netloc = f"{host}:{port}" if port else host
    segments = [s for s in parts.path.split("/") if s]
    kept: list[str] = []
    for segment in segments[:keep_segments]:
        # Long segments are usually ids or tokens; stop before revealing one.
        if len(segment) > _SAFE_SEGMENT_LEN:
            break
        kept.append(segment)
    hidden = len(kept) < len(segments) or bool(parts.query) or bool(parts.fragment)
    path = "/" + "/".join(kept) if kept else ""
    if hidden:
        path += "/" + MASK
    return f"{parts.scheme}://{netloc}{path}"


def secret_fragments(url: str | None, *others: str | None) -> list[str]:
    """Strings never to show: the URL, its hidden path parts and query values, and `others`."""
    found: list[str] = []
    if url:
        found.append(url)
        try:
            parts = urlsplit(url)
        except ValueError:
            parts = None
        if parts is not None:
            segments = [s for s in parts.path.split("/") if s]
            shown = mask_url(url).split("/")
            found.extend(s for s in segments if s not in shown and len(s) >= 6)
            for pair in parts.query.split("&"):
                _, _, value = pair.partition("=")
                if len(value) >= 8:
                    found.append(value)
    found.extend(o for o in others if o)
    # Longest first so a URL is replaced whole before its parts are.
    return sorted(set(found), key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each secret in `text` with ***."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, "***")
    return text
