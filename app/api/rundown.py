"""Live rundown edits for technical hosts: thin adapters over the run service (rules in app/run/rundown_rules.py).

Insert, retime, amend (title, speakers), move and remove upcoming segments; preview an edit (the new
running order, the projected end, the cues it adds, moves or drops); export the edited rundown.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Path
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.api.deps import EventId, Host, IdempotencyKey, Organiser, RunDep, RuntimeDep, respond
from app.api.openapi import ACTION_REFUSALS
from app.api.schemas import ActionOut
from app.store import events_repo
from schedules.export import export_yaml

router = APIRouter(prefix="/api/events/{event_id}/rundown", tags=["rundown edits"])
SegmentRef = Annotated[str, Field(min_length=1, max_length=64, description="an upcoming segment's id")]
SegmentPath = Annotated[str, Path(min_length=1, max_length=64, description="an upcoming segment's id")]
Speakers = Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=50)]


class _Length(BaseModel):
    """A length in minutes or seconds (the rules allow 1 minute to 8 hours)."""

    model_config = ConfigDict(extra="forbid")
    minutes: float | None = Field(None, ge=0, le=1440)
    seconds: int | None = Field(None, ge=0, le=86400)

    @property
    def total_seconds(self) -> int | None:
        if self.seconds is not None:
            return self.seconds
        return round(self.minutes * 60) if self.minutes is not None else None


class _Place(BaseModel):
    before: SegmentRef | None = Field(None, description="place it just before this upcoming segment")
    after: SegmentRef | None = Field(None, description="place it just after this upcoming segment")


class InsertIn(_Length, _Place):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"title": "Break", "kind": "break", "minutes": 5, "before": "session-2"}]},
    )
    title: str | None = Field(None, min_length=1, max_length=200, description="default: the kind (Break, Session...)")
    kind: str = Field("break", max_length=32, description="a segment kind: break, session, discussion, ...")
    speakers: Speakers = Field(default_factory=list, description="person ids from the schedule")

    @model_validator(mode="after")
    def _one_length(self) -> InsertIn:
        if (self.minutes is None) == (self.seconds is None):
            raise ValueError("give minutes or seconds")
        return self


class RetimeIn(_Length):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"minutes": 25}]})

    @model_validator(mode="after")
    def _one_length(self) -> RetimeIn:
        if (self.minutes is None) == (self.seconds is None):
            raise ValueError("give minutes or seconds")
        return self


class AmendIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"title": "Session 2: Healthy labour mobility"}]}
    )
    title: str | None = Field(None, min_length=1, max_length=200)
    speakers: Speakers | None = Field(None, description="the new speakers, in order (replaces the list)")


class MoveIn(_Place):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"after": "session-3"}]})


class EditPreviewIn(_Length, _Place):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"edit": "insert", "title": "Break", "minutes": 5, "before": "session-2"}]},
    )
    edit: Literal["insert", "retime", "amend", "move", "remove"]
    segment: SegmentRef | None = Field(None, description="the segment to edit (all but insert)")
    title: str | None = Field(None, min_length=1, max_length=200)
    kind: str | None = Field(None, max_length=32)
    speakers: Speakers | None = None


class EndShift(BaseModel):
    before: str
    after: str


class CueChanges(BaseModel):
    added: list[str]
    removed: list[str]
    moved: int


class OrderItem(BaseModel):
    id: str
    title: str
    start: str


class EditPreviewOut(BaseModel):
    edit: str
    summary: str
    segment: str | None
    projected_end: EndShift
    end_shift_seconds: int
    cues: CueChanges
    order: list[OrderItem]


def _fields(body: BaseModel) -> dict[str, Any]:
    data = body.model_dump(exclude={"minutes", "seconds", "edit", "segment"})
    seconds = body.total_seconds if isinstance(body, _Length) else None
    return {**data, "seconds": seconds} if seconds is not None else data


@router.post(
    "/insert",
    response_model=ActionOut,
    status_code=201,
    responses=ACTION_REFUSALS,
    summary="Insert a segment (a break or a session) before or after an upcoming one",
)
async def insert(event_id: EventId, body: InsertIn, run: RunDep, caller: Host, intent: IdempotencyKey):
    """The segments after it move later by its length; the answer's `segment` is the new id."""
    return respond(await run.edit_rundown(event_id, caller.name, "insert", intent=intent, **_fields(body)))


@router.post(
    "/{segment_id}/retime",
    response_model=ActionOut,
    responses=ACTION_REFUSALS,
    summary="Change an upcoming segment's length",
)
async def retime(
    event_id: EventId, segment_id: SegmentPath, body: RetimeIn, run: RunDep, caller: Host, intent: IdempotencyKey
):
    return respond(await run.edit_rundown(event_id, caller.name, "retime", segment_id, intent=intent, **_fields(body)))


@router.post(
    "/{segment_id}/amend",
    response_model=ActionOut,
    responses=ACTION_REFUSALS,
    summary="Change an upcoming segment's title or speakers",
)
async def amend(
    event_id: EventId, segment_id: SegmentPath, body: AmendIn, run: RunDep, caller: Host, intent: IdempotencyKey
):
    return respond(await run.edit_rundown(event_id, caller.name, "amend", segment_id, intent=intent, **_fields(body)))


@router.post(
    "/{segment_id}/move",
    response_model=ActionOut,
    responses=ACTION_REFUSALS,
    summary="Move an upcoming segment before or after another upcoming one",
)
async def move(
    event_id: EventId, segment_id: SegmentPath, body: MoveIn, run: RunDep, caller: Host, intent: IdempotencyKey
):
    return respond(await run.edit_rundown(event_id, caller.name, "move", segment_id, intent=intent, **_fields(body)))


@router.post(
    "/{segment_id}/remove",
    response_model=ActionOut,
    responses=ACTION_REFUSALS,
    summary="Remove an upcoming segment (the ones after it move earlier)",
)
async def remove(event_id: EventId, segment_id: SegmentPath, run: RunDep, caller: Host, intent: IdempotencyKey):
    return respond(await run.edit_rundown(event_id, caller.name, "remove", segment_id, intent=intent))


@router.post(
    "/preview",
    response_model=EditPreviewOut,
    responses=ACTION_REFUSALS,
    summary="What a rundown edit would change (nothing is recorded)",
)
async def preview(event_id: EventId, body: EditPreviewIn, run: RunDep, _: Host):
    """The new running order, the projected end before and after, and the cues added, moved or dropped."""
    return await run.preview_edit(event_id, body.edit, body.segment, **_fields(body))


@router.get(
    "/export",
    response_class=PlainTextResponse,
    summary="The rundown as edited live, as a schedule file (YAML)",
    responses={200: {"content": {"text/yaml": {}}}},
)
async def export(event_id: EventId, runtime: RuntimeDep, _: Organiser):
    """The schedule file with every live edit still in effect; `validate` and `load` accept it."""
    loaded = runtime.engine.loaded(event_id)
    async with runtime.db.begin() as conn:
        row = await events_repo.get_event(conn, event_id)
    note = f"Exported {runtime.clock.now():%Y-%m-%d %H:%M} UTC from {row.source if row else 'the stored schedule'}."
    return PlainTextResponse(export_yaml(loaded.schedule, loaded.actions, note), media_type="text/yaml")


def include(app: FastAPI) -> None:
    """Mount the rundown edits."""
    app.include_router(router)
