"""Showcaller's service: settings, store, run engine, REST API, console, attendance and CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    __version__: str


def __getattr__(name: str) -> str:
    # The version is read from the installed package's metadata when first asked for (`--version`,
    # the API's documentation, the plan fingerprint), not by every command a host types: reading
    # it imports importlib.metadata and parses the metadata file (issue 27).
    if name != "__version__":
        raise AttributeError(f"module 'app' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("showcaller")
    except PackageNotFoundError:  # run from a source tree that was never installed
        found = "0.0.0+source"
    globals()["__version__"] = found
    return found
