"""Injected failures: make a receiver path answer 503 / 429 / … for a number of requests or a time."""

from __future__ import annotations

from datetime import datetime, timedelta
from fnmatch import fnmatchcase

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

_DEFAULT_BODY = {429: "rate_limited", 500: "internal_error", 503: "service_unavailable"}


class FaultRequest(BaseModel):
    """POST /_faults body: `path` (glob allowed), `status`, and `count` or `until`/`seconds`."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1, description="e.g. /slack/hosts or /slack/*")
    status: int = Field(ge=400, le=599)
    count: int | None = Field(None, ge=1)
    until: AwareDatetime | None = None
    seconds: float | None = Field(None, gt=0)
    retry_after: int | None = Field(None, ge=0)
    body: str | None = None

    @model_validator(mode="after")
    def _one_limit(self) -> FaultRequest:
        if sum(x is not None for x in (self.count, self.until, self.seconds)) != 1:
            raise ValueError("give exactly one of count, until or seconds")
        return self


class Fault:
    """An active fault on paths matching `pattern`."""

    def __init__(self, req: FaultRequest, now: datetime) -> None:
        self.pattern = "/" + req.path.lstrip("/")
        self.status = req.status
        self.remaining = req.count
        self.until = req.until or (now + timedelta(seconds=req.seconds) if req.seconds else None)
        self.retry_after = req.retry_after
        self.body = req.body if req.body is not None else _DEFAULT_BODY.get(req.status, "fault")
        self.hits = 0

    def active(self, now: datetime) -> bool:
        """True while the fault still applies."""
        if self.remaining is not None:
            return self.remaining > 0
        return self.until is not None and now < self.until

    def to_dict(self) -> dict[str, object]:
        """JSON-ready description."""
        return {
            "path": self.pattern,
            "status": self.status,
            "remaining": self.remaining,
            "until": self.until.isoformat() if self.until else None,
            "retry_after": self.retry_after,
            "hits": self.hits,
        }


class FaultBook:
    """The faults currently configured; the first active match wins."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, req: FaultRequest, now: datetime) -> Fault:
        """Install a fault."""
        fault = Fault(req, now)
        self.faults.append(fault)
        return fault

    def take(self, path: str, now: datetime) -> Fault | None:
        """The fault to apply to a request on `path` (consuming one count), or None."""
        self.faults = [f for f in self.faults if f.active(now)]
        for fault in self.faults:
            if fnmatchcase(path, fault.pattern):
                fault.hits += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                return fault
        return None

    def clear(self) -> None:
        """Remove every fault."""
        self.faults.clear()
