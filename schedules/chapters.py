"""Chapters of a recording: where each segment that really ran begins in the video.

Pure arithmetic. The inputs are the segments as they ran (from the run log, not the plan: a jump
skips one, an undo puts one back) and the recording's own moments (started, paused, resumed,
stopped, from Zoom's `recording.*` webhooks). A take is one started-to-stopped span: Zoom writes
each take to its own files. Inside a take the video holds only the recorded time, so a pause is
cut out: a segment's offset is the recorded time between the take's start and the segment's start;
a segment that starts during a pause begins in the video where the recording resumed; a segment
entirely inside a pause (or outside every take) has no chapter.

The outputs are the offsets, a YouTube-style chapter list ("00:00 Opening remarks", first at
00:00 as YouTube requires), and a WebVTT chapters file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

STARTED, PAUSED, RESUMED, STOPPED = "started", "paused", "resumed", "stopped"


@dataclass(frozen=True)
class Run:
    """One segment as it really ran (a segment run twice after a jump back is two runs)."""

    segment: str
    title: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Take:
    """One recording, from its start to its stop, with the spans it recorded (pauses between)."""

    started: datetime
    stopped: datetime
    spans: tuple[tuple[datetime, datetime], ...]

    @property
    def length(self) -> timedelta:
        """How long the video is: the recorded time, pauses removed."""
        return sum((b - a for a, b in self.spans), timedelta(0))

    @property
    def paused(self) -> timedelta:
        return (self.stopped - self.started) - self.length

    def offset(self, moment: datetime) -> timedelta | None:
        """Where `moment` is in the video (a moment in a pause: where the recording resumed);
        None when it is before the take or after its last recorded instant."""
        if not self.spans or moment < self.started or moment >= self.spans[-1][1]:
            return None
        done = timedelta(0)
        for a, b in self.spans:
            if moment < a:  # in the pause before this span
                return done
            if moment < b:
                return done + (moment - a)
            done += b - a
        return None


@dataclass(frozen=True)
class Chapter:
    segment: str
    title: str
    offset: timedelta  # from the start of its take's video
    length: timedelta  # recorded time of the chapter (until the next chapter or the video's end)


def takes(moments: Iterable[tuple[str, datetime]], until: datetime | None = None) -> list[Take]:
    """The takes that `(kind, moment)` recording events describe (any order; sorted by moment).
    A take still open at the end is closed at `until` (the meeting's end), or dropped without it.
    A repeated event (a pause while paused) changes nothing."""
    out: list[Take] = []
    started: datetime | None = None
    recording_since: datetime | None = None
    spans: list[tuple[datetime, datetime]] = []
    for kind, at in sorted(moments, key=lambda m: m[1]):
        if kind == STARTED and started is None:
            started, recording_since, spans = at, at, []
        elif started is None:
            continue
        elif kind == PAUSED and recording_since is not None:
            spans.append((recording_since, at))
            recording_since = None
        elif kind == RESUMED and recording_since is None:
            recording_since = at
        elif kind == STOPPED:
            if recording_since is not None:
                spans.append((recording_since, at))
            out.append(Take(started, at, tuple(s for s in spans if s[1] > s[0])))
            started, recording_since, spans = None, None, []
    if started is not None and until is not None and until > started:
        if recording_since is not None:
            spans.append((recording_since, until))
        out.append(Take(started, until, tuple(s for s in spans if s[1] > s[0])))
    return out


def chapters(take: Take, runs: Sequence[Run]) -> list[Chapter]:
    """The chapters of one take: each run that has recorded time in it, at its offset. The first
    chapter starts at 0 (the video's first seconds belong to the segment then running)."""
    if not take.spans:
        return []
    last = take.spans[-1][1]
    found: list[tuple[Run, timedelta]] = []
    for run in sorted(runs, key=lambda r: r.start):
        begin = take.offset(max(run.start, take.started))
        end = take.offset(run.end) if run.end < last else take.length
        if begin is None or end is None or end <= begin:
            continue
        found.append((run, begin))
    out = []
    for k, (run, begin) in enumerate(found):
        begin = timedelta(0) if k == 0 else begin
        nxt = found[k + 1][1] if k + 1 < len(found) else take.length
        out.append(Chapter(run.segment, run.title, begin, nxt - begin))
    return out


def stamp(offset: timedelta, long: bool) -> str:
    """'12:41', or '1:02:03' when the video runs an hour or more (`long`), to the nearest second."""
    seconds = round(offset.total_seconds())
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if long else f"{m:02d}:{s:02d}"


def youtube_list(take: Take, found: Sequence[Chapter]) -> str:
    """The chapter list to paste under a video: one "MM:SS Title" line per chapter."""
    long = take.length >= timedelta(hours=1)
    return "\n".join(f"{stamp(c.offset, long)} {c.title}" for c in found)


def webvtt(found: Sequence[Chapter]) -> str:
    """A WebVTT chapters file (one cue per chapter)."""

    def vtt(offset: timedelta) -> str:
        ms = int(round(offset.total_seconds() * 1000))
        h, rest = divmod(ms, 3_600_000)
        m, rest = divmod(rest, 60_000)
        s, ms = divmod(rest, 1000)
        return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"

    cues = [f"{n}\n{vtt(c.offset)} --> {vtt(c.offset + c.length)}\n{c.title}" for n, c in enumerate(found, start=1)]
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


def runs_of(titles: dict[str, str], rows: Iterable, until: datetime) -> list[Run]:
    """The segments that really ran until `until` (the event's end, or now), from the timeline's
    rows (schedules/plan.py SegmentTiming: skipped ones and the part after `until` left out)."""
    out = []
    for row in rows:
        if row.skipped or row.start >= until:
            continue
        out.append(Run(row.id, titles.get(row.id, row.id), row.start, min(row.end, until)))
    return sorted(out, key=lambda r: r.start)
