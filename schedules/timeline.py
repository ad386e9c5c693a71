"""The timeline: schedule + live adjustments -> ordered, dated cues with stable ids, and run state.

Pure and deterministic: the same inputs always give the same cues and the same ids, on any machine.
A cue id names what the cue is about (kind, segment, slot, timer), never when it is due, so a delay
reschedules a cue instead of creating a new one, and a delivery retried after a restart is never a
second message.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from schedules import cue_words as words
from schedules.adjustments import Adjustment, Announce, Delay, Resume, Undo, ZoomControl, effective
from schedules.i18n import ENGLISH_WORDS as EN
from schedules.limits import TITLE, fit
from schedules.model import CueKind, Schedule
from schedules.plan import SegmentStatus, SegmentTiming, _Replay, replay
from schedules.resolve import planned_segments
from schedules.rundown import edited
from schedules.timers import Timer, TimerStatus, replay_timers
from schedules.zoom_actions import (
    LOCAL_RECORDING_TEXT,
    POLL_OPEN,
    UNDONE_TEXT,
    ZOOM_TARGET,
    ZoomMoment,
    zoom_moments,
)

# Within one instant: close what ends before announcing what starts.
_ORDER = {
    k: i
    for i, k in enumerate(
        [
            CueKind.segment_end,
            CueKind.correction,
            CueKind.segment_start,
            CueKind.announcement,
            CueKind.delay,
            CueKind.zoom_action,
            CueKind.reminder,
            CueKind.respondent_slot,
            CueKind.timer_start,
            CueKind.timer_warning,
            CueKind.timer_danger,
            CueKind.timer_up,
            CueKind.segment_ending_soon,
            CueKind.readiness_check,
        ]
    )
}
_END_BOUND = {CueKind.segment_end, CueKind.segment_ending_soon, CueKind.respondent_slot}
HOST_KINDS = {CueKind.readiness_check}
# Posted only to targets with `hosts: true`, and only where their filter lets the kind through.
HOSTS_ONLY_KINDS = {CueKind.delay}
# How long a timer shows OVER after time-up before it stops by itself (the service's setting overrides).
TIMER_OVER_GRACE = timedelta(seconds=30)


@dataclass(frozen=True)
class Cue:
    """One thing to post at one moment."""

    id: str
    at: datetime
    kind: CueKind
    segment: str | None
    title: str
    message: str
    targets: tuple[str, ...]
    held: bool = False
    severity: str = "info"
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class RunState:
    """Where the event stands at one instant."""

    now: datetime
    status: str
    current: SegmentTiming | None
    next: SegmentTiming | None
    elapsed: timedelta | None
    remaining: timedelta | None
    delay: timedelta
    projected_end: datetime
    planned_end: datetime
    held: bool
    timers: list[Timer]


@dataclass(frozen=True)
class Timeline:
    """Segment timings, cues and timers for one event after a set of adjustments."""

    event_id: str
    segments: list[SegmentTiming]
    cues: list[Cue]
    timers: list[Timer]
    held_segment: str | None
    ended_at: datetime | None
    # The rundown it was built from: the schedule file with the live edits applied
    # (schedules/rundown.py); `segments[k].index` indexes its segments.
    schedule: Schedule | None = field(default=None, compare=False)

    @property
    def rundown(self) -> Schedule:
        assert self.schedule is not None, "built by build_timeline"
        return self.schedule

    def segment(self, segment_id: str) -> SegmentTiming:
        """Timing of one segment by id."""
        return next(s for s in self.segments if s.id == segment_id)

    def state_at(self, now: datetime) -> RunState:
        """Current, next, elapsed, remaining, delay and projected end at `now`."""
        active = [s for s in self.segments if not s.skipped]
        planned_end = max(s.planned_end for s in self.segments)
        projected_end = max((s.end for s in active), default=planned_end)
        held = self.held_segment is not None
        current = (
            next((s for s in active if s.id == self.held_segment), None)
            if held
            else next((s for s in active if s.status_at(now) is SegmentStatus.live), None)
        )
        position = {s.id: k for k, s in enumerate(self.segments)}
        upcoming = [s for s in active if s.start > now and (current is None or position[s.id] > position[current.id])]
        nxt = upcoming[0] if upcoming else None
        if self.ended_at is not None and now >= self.ended_at or (not held and now >= projected_end):
            status = "ended"
        elif not active or now < active[0].start:
            status = "scheduled"
        else:
            status = "live"
        if nxt is not None:
            delay = nxt.start - nxt.planned_start
        else:
            delay = (current.end - current.planned_end) if current else projected_end - planned_end
        return RunState(
            now=now,
            status=status,
            current=current if status == "live" else None,
            next=nxt,
            elapsed=(now - current.start) if current and status == "live" else None,
            remaining=(current.end - now) if current and status == "live" else None,
            delay=delay,
            projected_end=projected_end,
            planned_end=planned_end,
            held=held,
            timers=[t for t in self.timers if t.status is not TimerStatus.stopped],
        )


def build_timeline(
    schedule: Schedule,
    adjustments: list[Adjustment] | tuple = (),
    now: datetime | None = None,
    timer_grace: timedelta | None = TIMER_OVER_GRACE,
) -> Timeline:
    """Replay `adjustments` over `schedule` and derive every cue.

    Undone actions do not count (each undo adds its correction cues instead). `now` matters during
    a hold and for timers that stop by themselves `timer_grace` after time-up. Nothing is planned
    after an early end.
    """
    undos = [a for a in adjustments if isinstance(a, Undo)]
    adjustments = effective(adjustments)
    schedule = edited(schedule, adjustments)  # live rundown edits change the plan itself
    rows, held, ended_at = replay(schedule, adjustments)
    held_index = None
    if held is not None:
        held_index = held[0]
        clock = now or max((a.at for a in adjustments), default=rows[held_index].end)
        projection = _Replay(schedule, list(rows), held=held)
        projection.apply(Resume(max(clock, rows[held_index].end)))
        rows = projection.rows
    held_id = rows[held_index].id if held_index is not None else None
    leaves = segment_exits(rows, held_id)
    timers = stop_timers_left_behind(list(replay_timers(adjustments, timer_grace, now).values()), leaves, now)
    cues = list(_segment_cues(schedule, rows, held_index))
    cues += _reminder_cues(schedule, rows, held_index)
    cues += _zoom_cues(schedule, zoom_moments(schedule, rows, held_index))
    cues += _timer_cues(schedule, timers, now, leaves)
    cues += [_announcement(schedule, a) for a in adjustments if isinstance(a, Announce)]
    # A delay's notice exists only where a host target takes it (no host target: nothing to post).
    notices = [_delay_notice(schedule, rows, a) for a in adjustments if isinstance(a, Delay) and a.seconds]
    cues += [n for n in notices if n.targets]
    if ended_at is not None:
        cues = [c for c in cues if c.held is False and c.at <= ended_at]
    cues += [_correction(schedule, u, *c) for u in undos for c in u.corrections]
    # A Zoom action by hand is planned even after the end (the recording may be stopped then).
    cues += [_zoom_by_hand(schedule, a) for a in adjustments if isinstance(a, ZoomControl)]
    cues.sort(key=lambda c: (c.at, _ORDER[c.kind], c.id))
    return Timeline(
        schedule.event.id,
        rows,
        cues,
        timers,
        rows[held_index].id if held_index is not None else None,
        ended_at,
        schedule,
    )


def segment_exits(rows: list[SegmentTiming], held: str | None) -> dict[str, list[tuple[datetime, datetime]]]:
    """When the show leaves each segment: (start, end) of every run of it that is not skipped, by id.
    A held segment has no known end, so it is left out: nothing that follows it is ever cut."""
    exits: dict[str, list[tuple[datetime, datetime]]] = {}
    for row in rows:
        if not row.skipped and row.id != held:
            exits.setdefault(row.id, []).append((row.start, row.end))
    return exits


def timer_leaves_at(timer: Timer, exits: dict[str, list[tuple[datetime, datetime]]]) -> datetime | None:
    """When the show leaves the segment a respondent's timer belongs to (None: it runs on): the first
    end of that segment at or after the timer started (started as the show left it, it stops at
    once). A timer the host chose to keep, and any timer that is not a respondent slot's (a panel's,
    a break's: it is about the clock, not the turn), never leaves."""
    if timer.keep or timer.segment is None or timer.slot is None:
        return None
    return min((end for _, end in exits.get(timer.segment, ()) if end >= timer.started_at), default=None)


def stop_timers_left_behind(
    timers: list[Timer], exits: dict[str, list[tuple[datetime, datetime]]], now: datetime | None
) -> list[Timer]:
    """A respondent's timer stops with its segment: once the show has left the segment at `now`, the
    timer is stopped at the moment it left (unless already stopped sooner)."""
    out = []
    for timer in timers:
        leaves = timer_leaves_at(timer, exits)
        if leaves is not None and now is not None and leaves <= now and timer.status is not TimerStatus.stopped:
            timer = replace(timer, stopped_at=max(leaves, timer.started_at))
        out.append(timer)
    return out


def plan_cues(schedule: Schedule) -> list[Cue]:
    """The cues of the unadjusted plan."""
    return build_timeline(schedule).cues


def targets_for(
    schedule: Schedule, kind: CueKind, segment: str | None, explicit: tuple[str, ...] | list[str] = ()
) -> tuple[str, ...]:
    """Which targets receive a cue: the named ones, host targets for host cues, else by filter.

    Named targets are a set in the order first named: an announcement stored before requests were
    checked for repeats (["a", "a"]) still posts once per target when it is replayed."""
    if explicit:
        return tuple(dict.fromkeys(explicit))
    if kind in HOST_KINDS:
        hosts = tuple(t.id for t in schedule.targets if t.hosts)
        return hosts or tuple(t.id for t in schedule.targets)
    out = []
    for target in schedule.targets:
        if kind in HOSTS_ONLY_KINDS and not target.hosts:
            continue
        f = target.filter
        if f.kinds and kind not in f.kinds:
            continue
        if f.segments and segment is not None and segment not in f.segments:
            continue
        out.append(target.id)
    return tuple(out)


def _cue(
    schedule: Schedule,
    ident: str,
    at: datetime,
    kind: CueKind,
    segment: str | None,
    title: str,
    message: str,
    *,
    held: bool = False,
    severity: str = "info",
    explicit: tuple[str, ...] = (),
    **data: Any,
) -> Cue:
    # A title is composed around the file's titles and names ("Readiness: <title> in 10 min"): cut to what is kept.
    title = fit(title, TITLE)
    return Cue(
        ident, at, kind, segment, title, message, targets_for(schedule, kind, segment, explicit), held, severity, data
    )


def _suffix(row: SegmentTiming) -> str:
    return f"#{row.occurrence}" if row.occurrence > 1 else ""


def _segment_cues(schedule: Schedule, rows: list[SegmentTiming], held: int | None):
    """Cues of every segment; `held` is the held row's position in `rows` (time order)."""
    active = [(k, r) for k, r in enumerate(rows) if not r.skipped]
    ending_soon = schedule.run.ending_soon
    for pos, (k, row) in enumerate(active):
        seg = schedule.segments[row.index]
        nxt = active[pos + 1][1] if pos + 1 < len(active) else None
        later = held is not None and k > held
        at_end = later or held == k
        sid, sfx = seg.id, _suffix(row)
        times: dict[str, Any] = {
            "start": row.start.isoformat(),
            "end": row.end.isoformat(),
            "next": nxt.id if nxt else None,
            "next_title": schedule.segments[nxt.index].title if nxt else None,
            "next_start": nxt.start.isoformat() if nxt else None,
        }
        yield _cue(
            schedule,
            f"segment_start/{sid}{sfx}",
            row.start,
            CueKind.segment_start,
            sid,
            *words.segment_start(EN, schedule, seg),
            held=later,
            **times,
        )
        if row.duration > ending_soon:
            minutes = int(ending_soon.total_seconds() // 60)
            yield _cue(
                schedule,
                f"segment_ending_soon/{sid}{sfx}",
                row.end - ending_soon,
                CueKind.segment_ending_soon,
                sid,
                *words.ending_soon(EN, seg, minutes, schedule.segments[nxt.index].title if nxt else None),
                held=at_end,
                severity="warning",
                **times,
            )
        if nxt is None or nxt.start > row.end:
            yield _cue(
                schedule,
                f"segment_end/{sid}{sfx}",
                row.end,
                CueKind.segment_end,
                sid,
                *words.segment_end(EN, seg, last=nxt is None),
                held=at_end,
                **times,
            )
        if seg.respondents:
            r = seg.respondents
            # The slots close the segment, back to back, each with its own minutes.
            for slot in range(r.count):
                later_minutes = sum(r.slot_minutes(n) for n in range(slot + 1, r.count + 1))
                at = row.end - timedelta(minutes=later_minutes)
                minutes = r.slot_minutes(slot + 1)  # type: ignore[assignment]  # minutes: a float here
                yield _cue(
                    schedule,
                    f"respondent_slot/{sid}/{slot + 1}{sfx}",
                    at,
                    CueKind.respondent_slot,
                    sid,
                    *words.respondent_slot(EN, schedule, seg, slot + 1, minutes),
                    held=at_end,
                    slot=slot + 1,
                    minutes=minutes,
                    **times,
                )
        expected = [*seg.moderators, *seg.speakers]
        expected += [s.person for s in (seg.respondents.slots if seg.respondents else []) if s.person]
        if schedule.readiness.enabled and expected:
            before = int(schedule.readiness.before.total_seconds() // 60)
            yield _cue(
                schedule,
                f"readiness_check/{sid}{sfx}",
                row.start - schedule.readiness.before,
                CueKind.readiness_check,
                sid,
                *words.readiness_planned(EN, schedule, seg, before, expected),
                held=later,
                people=expected,
                **times,
            )


def _reminder_cues(schedule: Schedule, rows: list[SegmentTiming], held: int | None):
    by_id = {r.id: (k, r) for k, r in enumerate(rows)}
    for spec in schedule.cues:
        if spec.segment is not None:
            k, row = by_id[spec.segment]
            if row.skipped:
                continue
            base = row.start if spec.anchor == "start" else row.end
            is_held = held is not None and (k > held or (k == held and spec.anchor == "end"))
        else:
            from schedules.resolve import to_utc

            base, is_held = to_utc(schedule, spec.at), False  # type: ignore[arg-type]  # validated schedule
        yield _cue(
            schedule,
            f"reminder/{spec.id}",
            base + spec.offset,
            CueKind.reminder,
            spec.segment,
            spec.title or words.REMINDER,
            spec.message,
            held=is_held,
            explicit=tuple(spec.targets),
        )


def _zoom_cues(schedule: Schedule, moments: list[ZoomMoment]):
    """Each Zoom action as a cue for the Zoom pseudo-target; a local recording's moments as reminders
    to the hosts instead (Zoom's API controls only the cloud recording)."""
    local = schedule.zoom.recording is not None and schedule.zoom.recording.mode == "local"
    hosts = tuple(t.id for t in schedule.targets if t.hosts) or tuple(t.id for t in schedule.targets)
    for m in moments:
        if m.action == POLL_OPEN:
            yield _cue(
                schedule,
                "reminder/" + m.id.removeprefix("zoom_action/"),
                m.at,
                CueKind.reminder,
                m.segment,
                m.title,
                m.message,
                held=m.held,
                explicit=hosts,
                **m.data,
            )
            continue
        if local and m.action in LOCAL_RECORDING_TEXT:
            yield _cue(
                schedule,
                "reminder/" + m.id.removeprefix("zoom_action/"),
                m.at,
                CueKind.reminder,
                m.segment,
                m.title.replace("Recording", "Local recording", 1),
                LOCAL_RECORDING_TEXT[m.action],
                held=m.held,
                explicit=hosts,
                **m.data,
            )
            continue
        yield _cue(
            schedule,
            m.id,
            m.at,
            CueKind.zoom_action,
            m.segment,
            m.title,
            m.message,
            held=m.held,
            explicit=(ZOOM_TARGET,),
            **m.data,
        )


def _timer_cues(schedule: Schedule, timers: list[Timer], now: datetime | None, exits: dict | None = None):
    for timer in timers:
        if timer.status is TimerStatus.stopped:
            continue
        leaves = timer_leaves_at(timer, exits or {})
        # Nothing of a timer is planned once the show has left its segment: it stops there.
        yield from (c for c in _one_timer_cues(schedule, timer, now) if leaves is None or c.at < leaves)


def _one_timer_cues(schedule: Schedule, timer: Timer, now: datetime | None):
    thresholds: list[tuple[CueKind, timedelta, str]] = [
        (CueKind.timer_warning, schedule.timers.warning, "warning"),
        (CueKind.timer_danger, schedule.timers.danger, "danger"),
    ]
    paused = timer.status is TimerStatus.paused
    # A running timer has ends_at; a paused one has paused_at.
    ends: datetime = timer.ends_at or ((now or timer.paused_at) + timer.remaining_at(now or timer.paused_at))  # type: ignore[operator, arg-type, assignment]
    label = timer.label or timer.id
    # The label rides along so a target in another locale can write the cue again (cue_words.render_cue).
    data: dict[str, Any] = {"timer": timer.id, "seconds": timer.seconds, "ends": ends.isoformat(), "label": label}
    yield _cue(
        schedule,
        f"timer_start/{timer.id}",
        timer.started_at,
        CueKind.timer_start,
        timer.segment,
        *words.timer_start(EN, label, timer.seconds),
        **data,
    )
    for kind, before, severity in thresholds:
        if timedelta(seconds=timer.seconds) > before:
            yield _cue(
                schedule,
                f"{kind.value}/{timer.id}",
                ends - before,
                kind,
                timer.segment,
                *words.timer_left(EN, label, int(before.total_seconds())),
                held=paused,
                severity=severity,
                **data,
            )
    yield _cue(
        schedule,
        f"timer_up/{timer.id}",
        ends,
        CueKind.timer_up,
        timer.segment,
        *words.timer_up(EN, label),
        held=paused,
        severity="danger",
        **data,
    )


def _announcement(schedule: Schedule, a: Announce) -> Cue:
    return _cue(
        schedule,
        f"announcement/{a.announcement_id}",
        a.at,
        CueKind.announcement,
        None,
        words.ANNOUNCEMENT,
        a.message,
        explicit=a.targets,
    )


def _delay_notice(schedule: Schedule, rows: list[SegmentTiming], d: Delay) -> Cue:
    """The hosts' short notice of a delay. Its text names only what the action did (not the new end
    time), so a later action never rewrites a notice already posted."""
    row = next((r for r in rows if not r.skipped and r.start <= d.at < r.end), None)
    mode = d.mode or schedule.run.delay_mode
    title = schedule.segments[row.index].title if row is not None else None
    head, text = words.delay_notice(EN, title, d.seconds, mode)
    return _cue(
        schedule,
        f"delay/{d.seq}",
        d.at,
        CueKind.delay,
        row.id if row is not None else None,
        head,
        text,
        severity="warning",
        seconds=d.seconds,
        mode=mode,
    )


def _zoom_by_hand(schedule: Schedule, a: ZoomControl) -> Cue:
    """A host's Zoom action: one cue per run-log entry, for @zoom only, due when it was asked."""
    return _cue(
        schedule,
        f"zoom_action/hand/{a.seq}",
        a.at,
        CueKind.zoom_action,
        None,
        f"Zoom by hand: {a.action}",
        f"A host asked Zoom for {a.action}.",
        explicit=(ZOOM_TARGET,),
        action=a.action,
        by_hand=True,
    )


def _correction(schedule: Schedule, undo: Undo, target: str, title: str, message: str) -> Cue:
    # One per target and undo: the id names both, so a retry is never a second correction.
    if target == ZOOM_TARGET:  # the undone action's Zoom action, reversed: `message` names the inverse
        return _cue(
            schedule,
            f"correction/{undo.seq}/{target}",
            undo.at,
            CueKind.zoom_action,
            None,
            title,
            f"Undone: {UNDONE_TEXT.get(message, message)}.",
            explicit=(target,),
            severity="warning",
            action=message,
            undone=undo.target,
        )
    return _cue(
        schedule,
        f"correction/{undo.seq}/{target}",
        undo.at,
        CueKind.correction,
        None,
        title,
        message,
        explicit=(target,),
        severity="warning",
        undone=undo.target,
    )


__all__ = ["Cue", "RunState", "Timeline", "build_timeline", "plan_cues", "planned_segments", "replace"]
