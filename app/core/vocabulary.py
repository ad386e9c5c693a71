"""The service's words for states and roles, each spelled once.

Every value is the exact string stored in the database and sent in API answers: these are
`StrEnum`s, so a member compares equal to its string, formats as it (f-strings, logs, Prometheus
labels) and serialises as it (json, pydantic, SQL parameters). Changing a value is a database
migration and an API change, not a rename.
"""

from __future__ import annotations

from enum import StrEnum


class CueStatus(StrEnum):
    """Where a planned cue is (cues.status)."""

    PENDING = "pending"  # due at its time
    HELD = "held"  # waits for a resume: no time yet
    FIRED = "fired"
    SKIPPED = "skipped"  # its moment passed (the lateness policy) or another pass fired it
    CANCELLED = "cancelled"  # left the plan without a host action (start-up, a hold's projection)
    SUPERSEDED = "superseded"  # a host action moved it into the past or left its segment
    WITHDRAWN = "withdrawn"  # an undone firing, kept under an archived id


# Cues the plan may still move.
CUE_OPEN = (CueStatus.PENDING, CueStatus.HELD)
# Retired cues a later plan may bring back (their moment has not passed).
CUE_REOPENABLE = (CueStatus.CANCELLED, CueStatus.SUPERSEDED)


class DeliveryStatus(StrEnum):
    """Where one message to one target is (deliveries.status)."""

    PENDING = "pending"  # queued, waiting for its attempt time
    SENDING = "sending"  # leased to a sender for one attempt
    SENT = "sent"
    PARKED = "parked"  # the target cannot be reached (bad configuration): never attempted
    EXPIRED = "expired"  # gave up: the cue no longer matters
    WITHDRAWN = "withdrawn"  # an undo stopped it before it was sent


# A delivery that will not go out by itself: the console shows it, a host may resend it.
DELIVERY_FAILED = (DeliveryStatus.PARKED, DeliveryStatus.EXPIRED)
# Still on its way (a target's later messages queue behind it).
DELIVERY_UNFINISHED = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
# The filter value of GET /api/events/{id}/deliveries?status=failed (not a stored status).
FAILED_FILTER = "failed"


class FireOutcome(StrEnum):
    """What the engine did with a due cue on a tick (what fire listeners hear)."""

    FIRED = "fired"
    LATE = "late"  # fired, but later than its grace
    SKIPPED = "skipped"


class HostRole(StrEnum):
    """What an API token may do (api_tokens.role), most first (the order `token create --role`
    lists them): each role can do all the ones after it, except that a stage token opens only the
    presenter view and a deck token only the deck surface (/api/events/{id}/deck: run control from
    a Stream Deck or a simple client, and the flat state it shows)."""

    ORGANISER = "organiser"
    HOST = "host"
    VIEWER = "viewer"
    STAGE = "stage"
    DECK = "deck"

    @property
    def rank(self) -> int:
        return ROLE_RANK[self]


# Compared, never stored: a caller passes a check for `role` when its rank is at least role's.
# A deck token ranks lowest, so every other guard refuses it; the deck routes let it in by name.
ROLE_RANK: dict[str, int] = {
    HostRole.DECK: -2,
    HostRole.STAGE: -1,
    HostRole.VIEWER: 0,
    HostRole.HOST: 1,
    HostRole.ORGANISER: 2,
}


class InstanceRole(StrEnum):
    """This process among the instances on one database (/readyz `instance.role`)."""

    SINGLE = "single"  # the only process on its database (SQLite)
    DISPATCHER = "dispatcher"  # holds the PostgreSQL lease: fires cues, sends deliveries
    STANDBY = "standby"  # waits for the lease; serves everything else
