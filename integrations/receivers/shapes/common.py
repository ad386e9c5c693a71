"""What every payload check shares: the refusal a receiver answers with, and JSON decoding."""

from __future__ import annotations

import json
from typing import Any


class Refusal(Exception):
    """The receiver refuses the request with `status` and the service's kind of error body."""

    def __init__(self, status: int, body: Any, media_type: str = "application/json") -> None:
        super().__init__(str(body))
        self.status = status
        self.body = body
        self.media_type = media_type


def parse_json(body: bytes, refusal: Refusal) -> Any:
    """Decode a UTF-8 JSON body or raise `refusal`."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise refusal from None
