"""Run the local receivers with uvicorn (loopback by default)."""

from __future__ import annotations

from typing import Any

import uvicorn
from rich.console import Console

from integrations.receivers.app import create_receivers


def run(host: str = "127.0.0.1", port: int = 9902, **options: Any) -> None:
    """Serve the receivers until interrupted; `options` go to create_receivers().

    `log_level` (default "warning") is passed to uvicorn; a console is created when none is given
    so every message is printed.
    """
    log_level = options.pop("log_level", "warning")
    options.setdefault("console", Console())
    app = create_receivers(**options)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
