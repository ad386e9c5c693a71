"""Hypothesis strategies: valid schedules (as an organiser writes them) and host actions."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import strategies as st

from schedules.adjustments import (
    Adjustment,
    Advance,
    Announce,
    Delay,
    EndEvent,
    Hold,
    Resume,
    TimerAdd,
    TimerPause,
    TimerResume,
    TimerStart,
    TimerStop,
)
from schedules.durations import format_duration
from schedules.model import CueKind, Schedule
from schedules.resolve import event_window

ZONES = [
    "UTC",
    "Asia/Bangkok",
    "Asia/Yangon",
    "Asia/Kathmandu",
    "Europe/Paris",
    "America/New_York",
    "Australia/Adelaide",
    "Pacific/Chatham",
]
PEOPLE = ["ann", "bo", "chea", "dara", "eng"]
TARGET_KINDS = ["slack", "teams", "discord", "webhook", "zoom_chat"]


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def segment_list(draw) -> list[dict]:
    """Ordered segments between 06:00 and 23:00 (clear of DST switches), contiguous or with gaps."""
    count = draw(st.integers(1, 7))
    clock = draw(st.integers(6 * 60, 10 * 60))
    segments = []
    for i in range(count):
        clock += draw(st.sampled_from([0, 0, 0, 5, 15]))  # mostly contiguous
        minutes = draw(st.integers(2, 90))
        seg: dict = {
            "id": f"seg-{i}",
            "title": f"Segment {i}",
            "start": _hm(clock),
            "kind": draw(st.sampled_from(["session", "discussion", "break", "other"])),
        }
        if draw(st.booleans()):
            seg["end"] = _hm(clock + minutes)
        else:
            seg["duration"] = format_duration(timedelta(minutes=minutes))
        if draw(st.booleans()):
            seg["flexible"] = True
            if draw(st.booleans()):
                seg["min_duration"] = f"{draw(st.integers(1, minutes))}m"
            if draw(st.booleans()):
                seg["max_duration"] = f"{draw(st.integers(minutes, 3 * minutes))}m"
        seg["speakers"] = draw(st.lists(st.sampled_from(PEOPLE), max_size=2, unique=True))
        seg["moderators"] = draw(st.lists(st.sampled_from(PEOPLE), max_size=1))
        if minutes >= 2 and draw(st.integers(0, 3)) == 0:
            count_r = draw(st.integers(1, min(4, minutes)))
            per = draw(st.sampled_from([0.5, 1, 1.5, 2, 3]))
            if count_r * per <= minutes:
                seg["respondents"] = {
                    "count": count_r,
                    "minutes": per,
                    "slots": [{"person": p} for p in draw(st.lists(st.sampled_from(PEOPLE), max_size=count_r))],
                }
        segments.append(seg)
        clock += minutes
    return segments


@st.composite
def schedule_data(draw) -> dict:
    """A whole schedule file as plain data; valid by construction."""
    segments = draw(segment_list())
    ids = [s["id"] for s in segments]
    people = [
        {
            "id": p,
            "name": p.title(),
            "email": f"{p}@example.org",
            "organisation": draw(st.sampled_from(["IOM", "ILO", "ADB", None])),
        }
        for p in PEOPLE
    ]
    targets = []
    for i, kind in enumerate(draw(st.lists(st.sampled_from(TARGET_KINDS), max_size=3))):
        target: dict = {
            "id": f"t{i}",
            "kind": kind,
            "url_env": f"URL_{i}",
            "hosts": draw(st.booleans()),
        }
        if kind == "zoom_chat":
            target["token_env"] = f"TOKEN_{i}"
        kinds = draw(st.lists(st.sampled_from([k.value for k in CueKind]), max_size=4, unique=True))
        filtered = draw(st.lists(st.sampled_from(ids), max_size=2, unique=True))
        if kinds or filtered:
            target["filter"] = {"kinds": kinds, "segments": filtered}
        targets.append(target)
    cues = []
    for i in range(draw(st.integers(0, 3))):
        cue: dict = {"id": f"cue-{i}", "message": f"Reminder {i}"}
        if draw(st.booleans()):
            anchor = draw(st.sampled_from(["start", "end"]))
            # A cue must land inside the event, so it never passes the end of the last segment.
            cue |= {
                "segment": draw(st.sampled_from(ids)),
                "anchor": anchor,
                "offset": f"{draw(st.integers(-10, 2 if anchor == 'start' else 0))}m",  # segments last 2m+
            }
        else:
            cue["at"] = segments[0]["start"]
        if targets and draw(st.booleans()):
            cue["targets"] = [draw(st.sampled_from([t["id"] for t in targets]))]
        cues.append(cue)
    return {
        "version": 1,
        "event": {
            "id": "generated",
            "title": "Generated event",
            "date": draw(st.dates(date(2020, 1, 1), date(2030, 12, 31))).isoformat(),
            "timezone": draw(st.sampled_from(ZONES)),
        },
        "people": people,
        "segments": segments,
        "cues": cues,
        "targets": targets,
        "timers": {
            "warning": f"{draw(st.integers(31, 120))}s",
            "danger": f"{draw(st.integers(5, 30))}s",
        },
        "readiness": {"before": f"{draw(st.integers(1, 15))}m", "enabled": draw(st.booleans())},
        "run": {
            "ending_soon": f"{draw(st.integers(1, 10))}m",
            "delay_mode": draw(st.sampled_from(["absorb", "shift"])),
            "early": draw(st.sampled_from(["end_early", "absorb"])),
        },
    }


schedules = schedule_data().map(Schedule.model_validate)

NON_SKIPPING = ("delay", "hold", "resume", "timer")
ALL_ACTIONS = (*NON_SKIPPING, "advance", "jump", "end", "announce")


@st.composite
def adjustment_list(draw, schedule: Schedule, kinds: tuple[str, ...] = ALL_ACTIONS) -> list[Adjustment]:
    """Host actions at random moments, from 30 min before the start to 30 min after the end."""
    opens, closes = event_window(schedule)
    span = int((closes - opens).total_seconds()) + 3600
    actions: list[Adjustment] = []
    for seq in range(draw(st.integers(0, 8))):
        at: datetime = opens - timedelta(minutes=30) + timedelta(seconds=draw(st.integers(0, span)))
        kind = draw(st.sampled_from(kinds))
        timer = draw(st.sampled_from(["t1", "t2"]))
        if kind == "delay":
            actions.append(
                Delay(
                    at,
                    seq,
                    seconds=draw(st.integers(-600, 1800)),
                    mode=draw(st.sampled_from([None, "absorb", "shift"])),
                )
            )
        elif kind == "hold":
            actions.append(Hold(at, seq))
        elif kind == "resume":
            actions.append(Resume(at, seq))
        elif kind == "advance":
            actions.append(Advance(at, seq))
        elif kind == "jump":
            actions.append(Advance(at, seq, to=draw(st.sampled_from([s.id for s in schedule.segments]))))
        elif kind == "end":
            actions.append(EndEvent(at, seq))
        elif kind == "announce":
            actions.append(Announce(at, seq, announcement_id=f"a{seq}", message="Note"))
        else:
            action = draw(st.sampled_from([TimerStart, TimerPause, TimerResume, TimerAdd, TimerStop]))
            extra = {"seconds": draw(st.integers(10, 300))} if action in (TimerStart, TimerAdd) else {}
            actions.append(action(at, seq, timer_id=timer, **extra))
    return actions
