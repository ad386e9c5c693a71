"""The words of the host action buttons a message carries, and of what a chat shows after a click
(issue 30): one place for app/run (which writes them in each target's locale) and for the load
check (schedules/catalog_check.py), which asks a target with `buttons:` to have them all translated.

Button values, action ids and URLs are machine values and never pass through here.
"""

from __future__ import annotations

from schedules.i18n import N_, Words
from schedules.rundown import EDIT_MESSAGES

# The buttons (app/run/action_links.py) and their confirm dialogs.
NEXT = N_("Next: {title}")
END_LAST = N_("End the last segment")
END_LAST_ASK = N_("End {title}, the last segment? The show ends.")
DELAY = N_("+{minutes} min")
UNDO = N_("Undo: {summary}")
UNDO_ASK = N_("Undo {summary}?")
YES, CANCEL = N_("Yes"), N_("Cancel")  # a Slack confirm dialog's answers

# What a click did: the line its message is updated with ("{done} by {who}, {time}").
ADVANCED = N_("Advanced to {title}")
ENDED_LAST = N_("Ended the last segment")
DELAYED = N_("Delayed by {minutes} min during {title}")
UNDONE = N_("Undone: {summary}")
DONE_BY = N_("{done} by {who}, {time}")
NOTHING_DONE = N_("Nothing done")
ALREADY_MOVED_ON = N_("Already moved on: nothing done")

# What a click that does nothing is told (app/run/chat_clicks.py).
FORBIDDEN = N_(
    "You may not steer this show from here: your {platform} ID {user} is not on the event's list. Ask the "
    "organiser to add it to your chat_ids in the schedule. Nothing done."
)
EXPIRED = N_("This button has expired; use a newer message or the console. Nothing done.")
USED = N_("Already moved: this button was already used, nothing done.")
IT_DID = N_(" It did: {result}")
STALE = N_("These buttons are out of date: the show has moved on.")

# The page a link button opens (app/run/action_links.py, app/web/templates/action.html), in the
# words of the target the link was made for. The run service's reasons for a refusal, shown under
# "Nothing done", are the API's words and stay English.
LINK_BROKEN = N_("This link does not work")
LINK_BROKEN_DETAIL = N_(
    "It is not a button Showcaller made for this event (it may have been cut or changed). Use the host console instead."
)
LINK_USED = N_("This button was already used")
LINK_USED_DETAIL = N_("Each button works once.")  # then IT_DID, when the first press's result is kept
LINK_EXPIRED = N_("This button has expired")
LINK_EXPIRED_DETAIL = N_(
    "Buttons work for {minutes} min after their message was posted, so an old message cannot move the show. "
    "Use the buttons of a newer message, or the host console."
)
ASK_ADVANCE = N_("Move on from {title}?")
ASK_DELAY = N_("Delay by {minutes} minutes, during {title}?")  # an undo asks UNDO_ASK, as its confirm dialog
PRESS = {"advance": N_("Yes, move on"), "delay_5": N_("Yes, delay {minutes} min"), "undo": N_("Yes, undo")}
PRESS_ONCE = N_("This button works once. Nothing happens until you press it.")
OPEN_CONSOLE = N_("Open the host console")
NOW_LINE = N_("Now: {title}.")
NOTHING_RUNNING = N_("No segment is running.")
EVENT_ENDED = N_("The event has ended.")

# How an undo button names the action it takes back (app/run/undo.py `summary`); a rundown edit
# reads as schedules/rundown.py words it.
NEXT_SEGMENT = N_("Next segment: {title}")
JUMP_TO = N_("Jump to {title}")
THE_END = N_("the end")
DELAY_BY = N_("Delay {minutes} min")
DELAY_MODES = {"absorb": N_("absorb"), "shift": N_("shift")}
START_TIMER = N_("Start timer: {label}")
ANNOUNCEMENT = N_("Announcement: {text}")
STAGE_MESSAGE = N_("Stage message: {text}")
ZOOM = N_("Zoom: {action}")
CLEAR_STAGE = N_("Clear the stage message")
HOLD = N_("Hold")
RESUME = N_("Resume")
END_EVENT = N_("End the event")
PAUSE_TIMER = N_("Pause timer")
RESUME_TIMER = N_("Resume timer")
ADD_TIME = N_("Add time to timer")
STOP_TIMER = N_("Stop timer")
EDITS = EDIT_MESSAGES

ALL = (
    frozenset(
        value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str) and name != "ALL"
    )
    | frozenset(DELAY_MODES.values())
    | frozenset(PRESS.values())
    | frozenset(EDITS)
)
"""Every string a target with buttons may be sent (or shown on a link's page) because of them."""


def page_words(w: Words) -> dict[str, str]:
    """The link page's own words for `w`'s reader, with `lang`: the BCP 47 tag of the language they
    are in (English where the catalog has none of them, as a target whose locale no catalog writes)."""
    shown = {"once": w._(PRESS_ONCE), "console": w._(OPEN_CONSOLE)}
    translated = shown != {"once": PRESS_ONCE, "console": OPEN_CONSOLE}
    return {**shown, "lang": w.reader.tag if translated else "en"}
