"""Request and response bodies of the REST API (with examples for the OpenAPI page)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

# The most target ids one request may name (README "REST API"): a target list is a set, and no
# event needs more in one message; [] already means every target. The run rules also bound it by
# the event's own number of targets.
MAX_TARGETS = 100
TargetId = Annotated[str, Field(min_length=1, max_length=64)]


class EventOut(BaseModel):
    id: str
    title: str
    timezone: str
    source: str
    loaded_at: str
    quarantined: str | None = Field(
        None,
        description="why the stored event could not be loaded at start-up (its cues do not fire); null when it runs",
    )


class StateOut(BaseModel):
    """The live state; times are UTC ISO strings, durations in seconds."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "status": "live",
                "held": False,
                "current": {"id": "session-1", "title": "Session 1"},
                "elapsed": 312.0,
                "remaining": 1488.0,
                "delay": 300.0,
                "projected_end": "2022-05-30T10:30:00Z",
            }
        }
    )

    event: dict[str, Any]
    now: str
    clock_rate: float = Field(1.0, description="event seconds per real second (N in a rehearsal at N x)")
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
    ahead_behind: str = Field(description="against the plan: 'on time', 'ahead by 12 min' or 'behind by 4 min'")
    end_vs_plan: str = Field(description="the projected end against the planned one: 'as planned', '18 min early'")
    thresholds: dict[str, float]
    timers: list[dict[str, Any]]
    undo: dict[str, Any] | None = Field(
        None, description="what POST /undo would revert now: seq, kind, summary, actor, until (UTC)"
    )
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
    superseded_by: int | None = Field(None, description="the host action (run-log seq) that overtook this cue")
    targets: list[str]
    deliveries: list[dict[str, Any]]


class AdvanceIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={"examples": [{"from": "session-1"}, {"to": "session-2", "from": "session-1"}, {}]},
    )
    to: str | None = Field(None, description="segment id to jump to (default: the next one)")
    from_: str | None = Field(
        None,
        alias="from",
        description="the segment the caller believes is current; 409 if the show has moved on (null: nothing running)",
    )

    @property
    def expected(self):
        """The caller's `from`, or UNSET when the body did not say."""
        from app.run.service import UNSET

        return self.from_ if "from_" in self.model_fields_set else UNSET


class UndoIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}, {"seq": 12}]})
    seq: int | None = Field(
        None, ge=1, description="the action the caller means to undo (409 if it is no longer the last undoable one)"
    )


class PreviewIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={"examples": [{"action": "jump", "to": "closing"}, {"action": "end"}]},
    )
    action: Literal["advance", "jump", "end"]
    to: str | None = Field(None, description="segment id (jump)")
    from_: str | None = Field(None, alias="from")

    @property
    def expected(self):
        from app.run.service import UNSET

        return self.from_ if "from_" in self.model_fields_set else UNSET


class PreviewMessage(BaseModel):
    cue_id: str
    kind: str
    title: str
    text: str
    targets: list[str]


class PreviewEnd(BaseModel):
    """What the move does to the end of the event (times in UTC)."""

    planned: str = Field(description="the planned end")
    before: str = Field(description="the projected end now")
    after: str = Field(description="the projected end after the move")
    change: float = Field(description="seconds: negative when the event would end earlier")
    text: str = Field(description="e.g. 'the projected end moves 18 min earlier'")
    ahead_behind: str = Field(description="after the move: 'on time', 'ahead by 12 min' or 'behind by 4 min'")
    end_vs_plan: str = Field(description="after the move: 'as planned', '18 min early' or '4 min late'")


class PreviewOut(BaseModel):
    action: str
    end: PreviewEnd
    messages: list[PreviewMessage]


class DelayIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"minutes": 5, "mode": "absorb"}]})
    # 24 h at most here; the run service also caps a delay at the event's own length.
    minutes: float | None = Field(None, ge=-1440, le=1440)
    seconds: int | None = Field(None, ge=-86400, le=86400)
    mode: Literal["absorb", "shift"] | None = Field(None, description="default: the schedule's run.delay_mode")

    @model_validator(mode="after")
    def _one_amount(self) -> DelayIn:
        if (self.minutes is None) == (self.seconds is None):
            raise ValueError("give minutes or seconds")
        return self

    @property
    def total_seconds(self) -> int:
        return self.seconds if self.seconds is not None else round(self.minutes * 60)  # type: ignore[operator]  # the validator requires one of the two


class TimerIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"segment": "session-1", "slot": 1}, {"label": "Q&A wrap-up", "seconds": 120}]},
    )
    segment: str | None = Field(None, description="segment id (default: the current one)")
    slot: int | None = Field(None, ge=1, description="respondent slot number: its minutes become the duration")
    person: str | None = Field(None, description="a person id (label and readiness)")
    seconds: int | None = Field(None, ge=1, le=4 * 3600)
    label: str | None = Field(None, max_length=120)
    keep: bool = Field(
        False, description="a respondent's timer: keep counting after the show leaves the segment (default: it stops)"
    )


class TimerAddIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: int = Field(30, ge=-3600, le=3600)


class AnnounceIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"message": "We are running 5 minutes late; Session 2 starts at 15:20.", "targets": ["hosts-slack"]}
            ]
        },
    )
    message: str = Field(min_length=1, max_length=2000)
    targets: list[TargetId] = Field(
        default_factory=list,
        max_length=MAX_TARGETS,
        description=f"target ids, each at most once (at most {MAX_TARGETS}, and no more than the event has); "
        "empty = every target",
    )

    @field_validator("targets")
    @classmethod
    def _a_set(cls, targets: list[str]) -> list[str]:
        """A target named twice would be posted twice: refuse it, naming the index of the repeat."""
        first: dict[str, int] = {}
        repeats = []
        for index, target in enumerate(targets):
            if target in first:
                repeats.append(
                    InitErrorDetails(
                        type=PydanticCustomError(
                            "duplicate",
                            "duplicate of targets.{first} ('{target}')",
                            {"first": first[target], "target": target},
                        ),
                        loc=(index,),
                        input=target,
                    )
                )
            first.setdefault(target, index)
        if repeats:
            # Raised as a ValidationError so each repeat keeps its own location (body.targets.2).
            raise ValidationError.from_exception_data("targets", repeats)
        return targets


class ActionOut(BaseModel):
    kind: str
    at: str
    seq: int = Field(description="this action's own number in the run log")
    state: StateOut
    timer_id: str | None = None
    undone: dict[str, Any] | None = Field(
        None, description="undo only: the action reverted, {seq, kind, summary, actor}"
    )
