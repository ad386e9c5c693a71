"""Showcaller's service: settings, store, run engine, REST API, console, attendance and CLI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("showcaller")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0.0.0+source"
