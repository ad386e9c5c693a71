"""Request and response bodies of the REST API (with examples for the OpenAPI page)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class EventOut(BaseModel):
    id: str
    title: str
    timezone: str
    source: str
    loaded_at: str
    quarantined: str | None = Field(None, description="why the stored event could not be loaded at start-up "
                                                      "(its cues do not fire); null when it runs")


class StateOut(BaseModel):
    """The live state; times are UTC ISO strings, durations in seconds."""

    model_config = ConfigDict(json_schema_extra={"example": {
        "status": "live", "held": False, "current": {"id": "session-1", "title": "Session 1"},
        "elapsed": 312.0, "remaining": 1488.0, "delay": 300.0, "projected_end": "2022-05-30T10:30:00Z"}})

    event: dict[str, Any]
    now: str
    status: Literal["scheduled", "live", "ended"]
    held: bool
    current: dict[str, Any] | None
    next: dict[str, Any] | None
    elapsed: float | None
    remaining: float | None
    delay: float
    projected_end: str
    planned_end: str
    overrun: float
    thresholds: dict[str, float]
    timers: list[dict[str, Any]]
    segments: list[dict[str, Any]]


class CueOut(BaseModel):
    cue_id: str
    kind: str
    segment: str | None
    status: str
    title: str
    message: str
    due_at: str | None
    fired_at: str | None
    late_ms: int | None
    note: str | None
    targets: list[str]
    deliveries: list[dict[str, Any]]


class AdvanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}, {"to": "session-2"}]})
    to: str | None = Field(None, description="segment id to jump to (default: the next one)")


class DelayIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"minutes": 5, "mode": "absorb"}]})
    minutes: float | None = Field(None, ge=-120, le=240)
    seconds: int | None = Field(None, ge=-7200, le=14400)
    mode: Literal["absorb", "shift"] | None = Field(None, description="default: the schedule's run.delay_mode")

    @model_validator(mode="after")
    def _one_amount(self) -> DelayIn:
        if (self.minutes is None) == (self.seconds is None):
            raise ValueError("give minutes or seconds")
        return self

    @property
    def total_seconds(self) -> int:
        return self.seconds if self.seconds is not None else round(self.minutes * 60)


class TimerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"segment": "session-1", "slot": 1}, {"label": "Q&A wrap-up", "seconds": 120}]})
    segment: str | None = Field(None, description="segment id (default: the current one)")
    slot: int | None = Field(None, ge=1, description="respondent slot number: its minutes become the duration")
    person: str | None = Field(None, description="a person id (label and readiness)")
    seconds: int | None = Field(None, ge=1, le=4 * 3600)
    label: str | None = Field(None, max_length=120)


class TimerAddIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: int = Field(30, ge=-3600, le=3600)


class AnnounceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"message": "We are running 5 minutes late; Session 2 starts at 15:20.", "targets": ["hosts-slack"]}]})
    message: str = Field(min_length=1, max_length=2000)
    targets: list[str] = Field(default_factory=list, description="target ids; empty = every target")


class ActionOut(BaseModel):
    kind: str
    at: str
    seq: int
    state: StateOut
    timer_id: str | None = None
