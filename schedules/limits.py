"""How long each stored piece of text may be, declared once.

The store's columns (app/store/tables.py) take their lengths from here, and the schedule model and
the service refuse longer values before anything reaches a database: PostgreSQL would refuse them
with an error while SQLite keeps them whole, so checking first gives one answer on both.
Text the service composes itself (a cue's title, a presenter link's name) is cut to fit instead.
"""

from __future__ import annotations

ID = 64  # an event, segment, person, target or timer id (model.Ident) and a time-zone name
TITLE = 300  # an event's or segment's title, a person's name, a cue's title, a Zoom topic
SOURCE = 500  # where a schedule came from: its file name, or X-Schedule-Name on upload
TOKEN_NAME = 100  # an API token's name, which is also the actor recorded for what it does
CUE_ID = 200  # a cue's id: its kind and the ids it is about
IDEMPOTENCY_KEY = 200  # a client's Idempotency-Key header
EMAIL = 320  # an email address (64 local + @ + 255 domain)
ZOOM_HOST = 200  # the Zoom user (an email) that owns the meeting

ELLIPSIS = "…"


def fit(text: str, limit: int) -> str:
    """Composed text cut to `limit` characters, marked with an ellipsis when cut; the cut falls
    between grapheme clusters (a Thai syllable, a flag, an accented letter stays whole)."""
    from schedules.graphemes import cut

    return cut(text, limit, ellipsis=ELLIPSIS, trim=False)


def too_long(value: str, limit: int) -> str | None:
    """Why `value` cannot be stored, or None: what a refusal says, the same for every field."""
    return f"is {len(value):,} characters; at most {limit:,} are kept" if len(value) > limit else None
