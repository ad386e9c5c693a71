"""Database tables (SQLAlchemy Core). The database is the source of truth; memory only caches it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

from schedules import limits


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, so store naive UTC there)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
TS = UTCDateTime()

events = Table(
    "events",
    metadata,
    Column("id", String(limits.ID), primary_key=True),
    Column("title", String(limits.TITLE), nullable=False),
    Column("timezone", String(limits.ID), nullable=False),
    Column("source", String(limits.SOURCE), nullable=False, doc="the schedule file it was loaded from"),
    Column("schedule_text", Text, nullable=False, doc="the YAML as loaded: restarts never need the file"),
    Column("schedule_hash", String(64), nullable=False),
    Column("loaded_at", TS, nullable=False),
    Column(
        "plan_fingerprint",
        String(64),
        nullable=True,
        doc="schedule hash + last run-log seq + planner version the outbox was last synced from; "
        "null when the plan moves with time (a hold, a paused timer): start-up re-plans only then",
    ),
)

run_log = Table(
    "run_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(limits.ID), ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("at", TS, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("data", JSON, nullable=False),
    Column("actor", String(limits.TOKEN_NAME), nullable=True),
    UniqueConstraint("event_id", "seq"),
)

cues = Table(
    "cues",
    metadata,
    Column("event_id", String(limits.ID), ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("cue_id", String(limits.CUE_ID), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("segment", String(limits.ID), nullable=True),
    Column("due_at", TS, nullable=True, doc="null while held"),
    Column(
        "status",
        String(16),
        nullable=False,
        doc="pending | held | fired | skipped | cancelled | superseded | withdrawn",
    ),
    Column("title", String(limits.TITLE), nullable=False),
    Column("message", Text, nullable=False),
    Column("targets", JSON, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("data", JSON, nullable=False),
    Column("fired_at", TS, nullable=True),
    Column("late_ms", BigInteger, nullable=True),
    Column("note", String(300), nullable=True),
    Column("updated_at", TS, nullable=False),
    Column("superseded_by", Integer, nullable=True, doc="the host action (run log seq) that overtook it"),
    Column("caused_by", Integer, nullable=True, doc="the host action that last planned or moved it"),
    Column(
        "generation",
        Integer,
        nullable=False,
        default=0,
        server_default="0",
        doc="how many earlier firings an undo withdrew (part of the delivery ids)",
    ),
    Index("ix_cues_status_due", "status", "due_at"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(64), primary_key=True, doc="stable: the same webhook id on every retry"),
    Column("seq", Integer, nullable=False, doc="creation order; each target's messages go out in this order"),
    Column("event_id", String(limits.ID), ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    Column("cue_id", String(limits.CUE_ID), nullable=False),
    Column("target_id", String(limits.ID), nullable=False),
    Column("status", String(16), nullable=False, doc="pending | sending | sent | parked | expired | withdrawn"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", TS, nullable=False),
    Column("lease_until", TS, nullable=True),
    Column("expires_at", TS, nullable=True, doc="after this the cue no longer matters: give up"),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", TS, nullable=False),
    Column("sent_at", TS, nullable=True),
    Column("resend_of", String(64), nullable=True, doc="a deliberate resend (?again=true): the delivery it repeats"),
    UniqueConstraint("seq"),
    Index("ix_deliveries_due", "status", "next_attempt_at"),
    Index("ix_deliveries_target", "target_id", "seq"),
)

inbox = Table(
    "inbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dedupe_key", String(64), nullable=False, unique=True),
    Column("event_name", String(100), nullable=False),
    Column("meeting_id", String(64), nullable=True),
    Column("event_ts", BigInteger, nullable=True),
    Column("received_at", TS, nullable=False),
    Column("body", Text, nullable=False, doc="the raw body exactly as Zoom sent it"),
    Column("processed_at", TS, nullable=True),
    Column("error", Text, nullable=True),
    Index("ix_inbox_unprocessed", "processed_at"),
)

zoom_objects = Table(
    "zoom_objects",
    metadata,
    Column("event_id", String(limits.ID), ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("zoom_id", BigInteger, nullable=False),
    Column("uuid", String(64), nullable=True),
    Column("host", String(limits.ZOOM_HOST), nullable=True),
    Column("join_url", Text, nullable=True),
    Column("start_url", Text, nullable=True),
    Column("registration_url", Text, nullable=True),
    Column("sandbox", Boolean, nullable=False),
    Column("applied_spec", JSON, nullable=False),
    Column("applied_at", TS, nullable=False),
    Column("start_url_at", TS, nullable=True, doc="when start_url was read from Zoom (it expires)"),
)

# A create sent to Zoom whose answer was not recorded yet: the next apply looks for the object
# in the host's list before creating again, so an answer lost in transit never makes a duplicate.
zoom_creates = Table(
    "zoom_creates",
    metadata,
    Column("event_id", String(limits.ID), ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("host", String(limits.ZOOM_HOST), nullable=False),
    Column("topic", String(limits.TITLE), nullable=False),
    Column("requested_at", TS, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(limits.IDEMPOTENCY_KEY), primary_key=True, doc="the client's Idempotency-Key header"),
    Column("event_id", String(limits.ID), ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    Column("fingerprint", String(64), nullable=False, doc="hash of method, path and body"),
    Column("status", Integer, nullable=False),
    Column("answer", JSON, nullable=False, doc="the first answer's body, replayed to retries"),
    Column("seq", Integer, nullable=True, doc="the run-log entry it recorded, if any"),
    Column("created_at", TS, nullable=False),
    Index("ix_idempotency_keys_created", "created_at"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(limits.TOKEN_NAME), nullable=False),
    Column("role", String(16), nullable=False, doc="organiser | host | viewer | stage | deck"),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", TS, nullable=False),
    Column("last_used_at", TS, nullable=True),
    Column("revoked_at", TS, nullable=True),
    Column("event_id", String(limits.ID), nullable=True, doc="stage tokens: the only event they open"),
    Column("person", String(limits.ID), nullable=True, doc="stage links: whose presenter link this is"),
)

# One row per person and event invited: SEQUENCE rises when the content of their invite changes.
invites = Table(
    "invites",
    metadata,
    Column("event_id", String(limits.ID), ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("person", String(limits.ID), primary_key=True),
    Column("sequence", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("updated_at", TS, nullable=False),
)

# --- attendance (derived from the inbox, so it can always be rebuilt from it) -------------------

attendance_facts = Table(
    "attendance_facts",
    metadata,
    Column("inbox_id", Integer, ForeignKey("inbox.id", ondelete="CASCADE"), primary_key=True),
    Column("meeting_id", String(64), nullable=False),
    Column("meeting_uuid", String(64), nullable=False),
    Column("object", String(16), nullable=False, doc="meeting | webinar"),
    Column("kind", String(24), nullable=False, doc="started, ended, joined, left, room_joined, ..."),
    Column("occurred_at", TS, nullable=False, doc="the payload's own time, never arrival"),
    Column("event_ts", BigInteger, nullable=False),
    Column("user_id", String(64), nullable=True),
    Column("parent_user_id", String(64), nullable=True),
    Column("participant_uuid", String(64), nullable=True),
    Column("zoom_user_id", String(64), nullable=True),
    Column("registrant_id", String(64), nullable=True),
    Column("email", String(320), nullable=True),
    Column("name", String(300), nullable=True),
    Column("room", String(64), nullable=True),
    Index("ix_attendance_facts_meeting", "meeting_id", "occurred_at"),
)

attendance_past_rows = Table(
    "attendance_past_rows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("meeting_id", String(64), nullable=False),
    Column("meeting_uuid", String(64), nullable=False),
    Column("user_id", String(64), nullable=True),
    Column("zoom_user_id", String(64), nullable=True),
    Column("registrant_id", String(64), nullable=True),
    Column("email", String(320), nullable=True),
    Column("name", String(300), nullable=True),
    Column("join_time", TS, nullable=False),
    Column("leave_time", TS, nullable=False),
    Index("ix_attendance_past_rows_meeting", "meeting_id"),
)

# Registrants of a meeting/webinar as Zoom last listed them (every status), with their answers.
zoom_registrants = Table(
    "zoom_registrants",
    metadata,
    Column("meeting_id", String(64), primary_key=True),
    Column("registrant_id", String(64), primary_key=True),
    Column("status", String(16), nullable=False, doc="approved | pending | denied"),
    Column("email", String(320), nullable=True),
    Column("first_name", String(300), nullable=True),
    Column("last_name", String(300), nullable=True),
    Column("fields", JSON, nullable=False, doc="standard fields answered, by Zoom field name (country, org...)"),
    Column("answers", JSON, nullable=False, doc="custom questions: [{title, value}]"),
    Column("registered_at", TS, nullable=True),
    Column("fetched_at", TS, nullable=False),
)

# Poll results of an ended meeting instance as counts only (who answered what is never stored):
# per question, how many answered and how many chose each answer.
zoom_poll_results = Table(
    "zoom_poll_results",
    metadata,
    Column("meeting_uuid", String(64), primary_key=True),
    Column("meeting_id", String(64), nullable=False),
    Column("questions", JSON, nullable=False, doc="[{question, answered, answers: {answer: count}}]"),
    Column("fetched_at", TS, nullable=False),
    Index("ix_zoom_poll_results_meeting", "meeting_id"),
)

attendance_reconciliations = Table(
    "attendance_reconciliations",
    metadata,
    Column("meeting_uuid", String(64), primary_key=True),
    Column("meeting_id", String(64), nullable=False),
    Column("object", String(16), nullable=False),
    Column("status", String(16), nullable=False, doc="pending | done | failed"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", TS, nullable=False),
    Column("rows", Integer, nullable=True, doc="rows Zoom returned on the last successful fetch"),
    Column("error", Text, nullable=True),
    Column("updated_at", TS, nullable=False),
    Index("ix_attendance_reconciliations_due", "status", "next_attempt_at"),
)

# --- event streams shared by every instance ------------------------------------------------------

# A browser's single-use ticket for an event stream (EventSource cannot send a header). Only a hash
# is kept; redeeming deletes the row, so a ticket opens one stream on whichever instance gets it.
stream_tickets = Table(
    "stream_tickets",
    metadata,
    Column("ticket_hash", String(64), primary_key=True),
    Column("token_id", String(32), nullable=False, doc="the token it was issued to (checked again when redeemed)"),
    Column("event_id", String(64), nullable=False),
    Column("expires_at", TS, nullable=False),
    Index("ix_stream_tickets_expires", "expires_at"),
    Index("ix_stream_tickets_token", "token_id"),
)

# Presenter views open right now, on any instance: each instance rewrites its own rows on every
# change and heartbeat; a row past `expires_at` belongs to an instance that died and is ignored.
stage_presence = Table(
    "stage_presence",
    metadata,
    Column("id", String(64), primary_key=True, doc="instance id and a per-instance number"),
    Column("instance_id", String(100), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("token_id", String(32), nullable=True),
    Column("name", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("person", String(64), nullable=True),
    Column("since", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Index("ix_stage_presence_event", "event_id"),
    Index("ix_stage_presence_instance", "instance_id"),
)

# Single-use action links behind the buttons of host chat messages (app/run/action_links.py). Only
# the SHA-256 of the link's secret is kept; what it does (event, verb, the state it expects, who it
# acts as) lives here, so nothing in the URL can be edited to make it do something else.
action_links = Table(
    "action_links",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("event_id", String(limits.ID), nullable=False),
    Column("verb", String(16), nullable=False, doc="advance | delay_5 | undo (schedules.model.ButtonVerb)"),
    Column("expected", String(limits.ID), nullable=True, doc="the segment id (advance, delay_5) or run-log seq (undo)"),
    Column("expected_title", String(200), nullable=True, doc="what the page names: the segment or the action"),
    Column("target_id", String(limits.ID), nullable=False, doc="the hosts target whose message carried it"),
    Column("delivery_id", String(200), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("used_at", TS, nullable=True),
    Column("result", Text, nullable=True, doc="what pressing it did, shown again to a second press"),
    Index("ix_action_links_expires", "expires_at"),
)
