"""Run the Zoom emulator as a local HTTP server (uvicorn)."""

from __future__ import annotations

from typing import Any

import uvicorn

from integrations.zoom_emulator.app import create_emulator


def run(host: str = "127.0.0.1", port: int = 9901, **options: Any) -> None:
    """Serve the emulator on host:port until interrupted; `options` go to create_emulator."""
    log_level = options.pop("log_level", "info")
    uvicorn.run(create_emulator(**options), host=host, port=port, log_level=log_level)


if __name__ == "__main__":
    run()
