"""Join Zoom's registrants to the people who attended.

Order, first match wins for each attendee:
1. registrant id: Zoom carries it in webhooks and past-participant rows when someone joins with
   their own registrant link; it is exact.
2. email: someone who joined through the plain link while signed in to Zoom with the email they
   registered with (compared case-insensitively).
3. name: the display name, normalised (case, accents, titles and "(Country)" suffixes dropped),
   and only when exactly one registrant has that name, so two people never merge.

An attendee matched by none is counted as unmatched; scheduled people (speakers, moderators on the
agenda) are counted apart, since they join through their own links and need not register.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass, field

from app.attendance.intervals import Participant
from app.attendance.names import normalise_name
from app.store.registrants_repo import RegistrantRow


@dataclass
class Joined:
    """Who matched whom, and how."""

    by_registrant: dict[str, list[Participant]] = field(default_factory=dict)  # registrant id -> attendees
    how: dict[str, str] = field(default_factory=dict)  # participant key -> "registrant_id" | "email" | "name"
    unmatched: list[Participant] = field(default_factory=list)
    on_agenda: list[Participant] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many attendees each rule matched, and how many stayed unmatched."""
        out = {"registrant_id": 0, "email": 0, "name": 0}
        for how in self.how.values():
            out[how] += 1
        return {**out, "unmatched": len(self.unmatched), "on_agenda": len(self.on_agenda)}


def join(
    registrants: Iterable[RegistrantRow], attendees: Iterable[Participant], scheduled: Set[str] = frozenset()
) -> Joined:
    """Match each attendee (with time in the meeting) to at most one registrant; `scheduled`: agenda keys."""
    registrants = list(registrants)
    by_id = {r.registrant_id: r for r in registrants}
    by_email = {r.email.casefold(): r for r in registrants if r.email}
    names: dict[str, list[RegistrantRow]] = {}
    for r in registrants:
        if key := normalise_name(r.name):
            names.setdefault(key, []).append(r)
    out = Joined({r.registrant_id: [] for r in registrants})
    for p in attendees:
        if not p.intervals:
            continue
        found, how = next(((by_id[i], "registrant_id") for i in p.registrant_ids if i in by_id), (None, ""))
        if found is None and p.email and p.email.casefold() in by_email:
            found, how = by_email[p.email.casefold()], "email"
        if found is None:
            same = names.get(normalise_name(p.name), [])
            found, how = (same[0], "name") if len(same) == 1 else (None, "")
        if found is not None:
            out.by_registrant[found.registrant_id].append(p)
            out.how[p.key] = how
        elif p.key in scheduled:
            out.on_agenda.append(p)
        else:
            out.unmatched.append(p)
    return out
