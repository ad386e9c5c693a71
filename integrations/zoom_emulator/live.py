"""Live simulation: start/end instances, move people around, emit signed webhooks."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from integrations.zoom_emulator.delivery import DeliveryRecord
from integrations.zoom_emulator.errors import EmuError, meeting_not_found
from integrations.zoom_emulator.payloads import (
    MeetingRef,
    Person,
    breakout_row,
    lifecycle_event,
    live_streaming_event,
    participant_event,
    past_row,
    recording_completed_event,
    recording_event,
    recording_files,
)
from integrations.zoom_emulator.registration import fill_form, register
from integrations.zoom_emulator.render import zoom_time
from integrations.zoom_emulator.state import USER_BASIC, PastInstance, RecordingRun, StoredMeeting

if TYPE_CHECKING:
    from integrations.zoom_emulator.app import ZoomEmulator
    from integrations.zoom_emulator.crowd import Crowd


@dataclass
class _Session:
    person: Person
    user_id: str
    joined: datetime
    breakout: tuple[str, str, datetime] | None = None  # room uuid, breakout user_id, since


@dataclass
class _Live:
    ref: MeetingRef
    instance: PastInstance
    sessions: dict[str, _Session] = field(default_factory=dict)
    waiting: dict[str, tuple[Person, str]] = field(default_factory=dict)
    rooms: dict[str, str] = field(default_factory=dict)
    recording: str = "stopped"  # stopped | recording | paused
    run: RecordingRun | None = None
    streaming: bool = False
    waiting_room_text: tuple[str, str] | None = None


class LiveSimulator:
    """Python API for what happens during a meeting; every step is delivered as a webhook."""

    def __init__(self, emu: ZoomEmulator) -> None:
        self._emu = emu
        self._live: dict[int, _Live] = {}
        self._last_ts = 0

    def _meeting(self, meeting_id: int | str) -> StoredMeeting:
        m = self._emu.state.meetings.get(int(meeting_id))
        if m is None:
            raise meeting_not_found(meeting_id)
        return m

    def _running(self, meeting_id: int | str) -> _Live:
        live = self._live.get(int(meeting_id))
        if live is None:
            raise EmuError(400, 3000, f"Meeting {meeting_id} is not in progress.")
        return live

    def meeting_ref(self, meeting_id: int | str) -> MeetingRef:
        """Identity of the next (or running) instance; the first instance reuses the meeting UUID."""
        m = self._meeting(meeting_id)
        if m.live_instance:
            uuid = m.live_instance
        else:
            if m.next_uuid is None:
                held = self._emu.state.instance_order.get(m.id)
                m.next_uuid = self._emu.state.ids.uuid() if held else m.uuid
            uuid = m.next_uuid
        return MeetingRef(
            kind=m.kind,
            id=str(m.id),
            uuid=uuid,
            host_id=m.host.id,
            host_email=m.host.email,
            topic=m.fields["topic"],
            type=m.fields["type"],
            start_time=zoom_time(m.fields["start_time"]),
            timezone=m.fields["timezone"],
            duration=m.fields["duration"],
            account_id=self._emu.state.account_id,
        )

    def _open_instance(self, ref: MeetingRef, at: datetime) -> PastInstance:
        state = self._emu.state
        inst = PastInstance(ref.uuid, int(ref.id), ref.kind, at)  # type: ignore[arg-type]
        state.instances[ref.uuid] = inst
        state.instance_order.setdefault(int(ref.id), []).append(ref.uuid)
        return inst

    async def _send(self, payloads: list[dict[str, Any]]) -> list[DeliveryRecord]:
        out = []
        for payload in payloads:
            # Zoom stamps each event with its own millisecond; steps at one instant stay distinct.
            payload["event_ts"] = self._last_ts = max(int(payload["event_ts"]), self._last_ts + 1)
            self._emu.state.events.append(payload)
            out.append(await self._emu.sender.deliver(payload))
        return out

    async def start(self, meeting_id: int | str, at: datetime | None = None) -> list[DeliveryRecord]:
        """Start an instance: emits `<kind>.started`."""
        at = at or self._emu.clock()
        m = self._meeting(meeting_id)
        if m.live_instance:
            raise EmuError(400, 3000, f"Meeting {m.id} is already in progress.")
        ref = self.meeting_ref(m.id)
        m.live_instance, m.next_uuid, m.status = ref.uuid, None, "started"
        self._live[m.id] = _Live(ref, self._open_instance(ref, at))
        return await self._send([lifecycle_event(ref, "started", at)])

    async def end(self, meeting_id: int | str, at: datetime | None = None) -> list[DeliveryRecord]:
        """End the instance: everyone still in leaves ("Host ended the meeting."), then ended."""
        at = at or self._emu.clock()
        live = self._running(meeting_id)
        payloads = []
        # Ending stops the live stream and the recording first (Zoom's order), then everyone leaves.
        if live.streaming and live.ref.kind == "meeting":
            # The events spec has live_streaming events for meetings only.
            payloads.append(self._stream_event(live, "stopped", at))
        live.streaming = False
        if live.recording != "stopped":
            payloads.append(self._stop_run(live, at))
        for key in list(live.sessions):
            payloads += self._leave(live, key, at, "Host ended the meeting.")
        live.waiting.clear()
        payloads.append(lifecycle_event(live.ref, "ended", at))
        live.instance.ended_at = at
        m = self._emu.state.meetings.get(int(meeting_id))
        if m is not None:
            m.live_instance, m.status = None, "waiting"
        del self._live[int(meeting_id)]
        if live.instance.recording_runs and m is not None:
            # Processing is instant here; real Zoom sends recording.completed minutes to hours later.
            payloads.append(self._complete_recording(live, m, at))
        return await self._send(payloads)

    # --- cloud recording, live stream, waiting room (issue 29) -------------------------
    def _live_meeting(self, meeting_id: int | str) -> _Live:
        live = self._live.get(int(meeting_id))
        if live is None:
            # What /live_meetings answers for a meeting that is not running (spec: 404/3001).
            raise EmuError(404, 3001, f"Meeting {meeting_id} is not found or has expired.")
        return live

    def recording_state(self, meeting_id: int | str) -> str:
        """stopped, recording or paused (stopped when the meeting is not running)."""
        live = self._live.get(int(meeting_id))
        return live.recording if live else "stopped"

    def _stop_run(self, live: _Live, at: datetime) -> dict[str, Any]:
        run = live.run
        assert run is not None
        if run.pauses and run.pauses[-1][1] is None:
            run.pauses[-1] = (run.pauses[-1][0], at)
        run.stopped = at
        live.recording, live.run = "stopped", None
        return recording_event(live.ref, "stopped", at, run.started, at)

    async def recording(self, meeting_id: int | str, action: str, at: datetime | None = None) -> list[DeliveryRecord]:
        """The host (or the API) starts, pauses, resumes or stops the cloud recording.

        Only in a running meeting whose host may record to the cloud; a move the state does not
        allow (pause while stopped …) is refused with 400/3000.
        """
        at = at or self._emu.clock()
        live = self._live_meeting(meeting_id)
        m = self._meeting(meeting_id)
        if not self._emu.state.account.cloud_recording or m.host.type == USER_BASIC:
            raise EmuError(400, 300, "No permission.")
        allowed = {
            "start": ("stopped",),
            "stop": ("recording", "paused"),
            "pause": ("recording",),
            "resume": ("paused",),
        }
        if action not in allowed:
            raise EmuError(400, 300, "Validation Failed.", errors=[{"field": "method", "message": "Invalid field."}])
        if action == "start" and self._emu.state.account.cloud_storage_full:
            raise EmuError(
                400,
                3309,
                "Not enough cloud storage available. Either purchase additional storage or delete cloud "
                "recordings to free up storage.",
            )
        if live.recording not in allowed[action]:
            raise EmuError(400, 3000, f"Cannot {action} the recording: it is {live.recording}.")
        if action == "start":
            live.run = RecordingRun(started=at)
            live.instance.recording_runs.append(live.run)
            live.recording = "recording"
            payload = recording_event(live.ref, "started", at, at)
        elif action == "stop":
            payload = self._stop_run(live, at)
        else:
            run = live.run
            assert run is not None
            if action == "pause":
                run.pauses.append((at, None))
                live.recording = "paused"
            else:
                run.pauses[-1] = (run.pauses[-1][0], at)
                live.recording = "recording"
            payload = recording_event(live.ref, f"{action}d", at, run.started)
        return await self._send([payload])

    def _complete_recording(self, live: _Live, m: StoredMeeting, at: datetime) -> dict[str, Any]:
        ids = self._emu.state.ids
        runs = [
            (ids.user_id(), r.started, r.stopped, r.recorded_seconds)
            for r in live.instance.recording_runs
            if r.stopped is not None
        ]
        files = recording_files(live.ref.uuid, runs, "https://zoom.emulator")
        live.instance.recording_files = files
        return recording_completed_event(live.ref, at, files, m.password, ids.token(64))

    def _stream_event(self, live: _Live, what: str, at: datetime) -> dict[str, Any]:
        m = self._meeting(live.ref.id)
        return live_streaming_event(live.ref, what, at, m.livestream or {}, (m.host.email, m.host.id))

    async def livestream(self, meeting_id: int | str, action: str, at: datetime | None = None) -> list[DeliveryRecord]:
        """Start or stop the custom live stream (meetings emit meeting.live_streaming_*; webinars nothing)."""
        at = at or self._emu.clock()
        m = self._meeting(meeting_id)
        live = self._live.get(m.id)
        if live is None:
            noun = "Meeting" if m.kind == "meeting" else "Webinar"
            raise EmuError(400, 4927, f"{noun} {m.id} has not started.")
        if action == "start":
            if not (m.livestream or {}).get("stream_url"):
                raise EmuError(400, 3000, "Live streaming is not configured: PATCH …/livestream first.")
            if live.streaming:
                raise EmuError(400, 3000, "The live stream is already running.")
        elif action == "stop":
            if not live.streaming:
                raise EmuError(400, 3000, "The live stream is not running.")
        else:  # "mode" changes the layout only
            return []
        live.streaming = action == "start"
        if m.kind != "meeting":
            return []
        return await self._send([self._stream_event(live, "started" if action == "start" else "stopped", at)])

    def streaming(self, meeting_id: int | str) -> bool:
        """Whether the meeting's live stream is running."""
        live = self._live.get(int(meeting_id))
        return bool(live and live.streaming)

    def update_waiting_room(self, meeting_id: int | str, title: str, description: str) -> None:
        """waiting_room.update: the title and text people in the waiting room see."""
        self._live_meeting(meeting_id).waiting_room_text = (title, description)

    def waiting_room_text(self, meeting_id: int | str) -> tuple[str, str] | None:
        """What waiting_room.update last set for the running meeting."""
        live = self._live.get(int(meeting_id))
        return live.waiting_room_text if live else None

    # --- polls and survey answers ------------------------------------------------------
    def run_poll(
        self, meeting_id: int | str, poll_id: str, *, seed: int = 0, rate: float = 0.8, at: datetime | None = None
    ) -> list[dict[str, Any]]:
        """The host launches a stored poll in the meeting (only the Zoom client can) and ends it.

        Each person in the meeting answers with probability `rate` (seeded); the answers go to the
        instance's poll results. Returns the respondents of this poll.
        """
        from integrations.zoom_emulator.crowd import answer_poll

        at = at or self._emu.clock()
        live = self._running(meeting_id)
        m = self._meeting(meeting_id)
        poll = next((p for p in m.polls if p["id"] == poll_id), None)
        if poll is None:
            raise EmuError(404, 404, "Meeting Poll not found.")
        people = [s.person for s in live.sessions.values()]
        rows = answer_poll(people, poll, random.Random(seed), at, rate)
        for key, row in rows.items():
            have = live.instance.poll_answers.setdefault(key, {**row, "question_details": []})
            have["question_details"].extend(row["question_details"])
        poll["status"] = "ended"
        return list(rows.values())

    def answer_survey(
        self, meeting_id: int | str, *, seed: int = 0, rate: float = 0.6, at: datetime | None = None
    ) -> list[dict[str, Any]]:
        """People who attended the latest ended instance answer the meeting's survey (seeded)."""
        from integrations.zoom_emulator.crowd import answer_survey

        m = self._meeting(meeting_id)
        survey = m.survey or {}
        if not survey.get("custom_survey"):
            raise EmuError(400, 3000, "The meeting has no survey.")
        ended = [self._emu.state.instances[u] for u in self._emu.state.instance_order.get(m.id, [])]
        ended = [i for i in ended if i.ended_at is not None]
        if not ended:
            raise EmuError(400, 3000, f"Meeting {m.id} has not ended yet.")
        inst = ended[-1]
        people: dict[str, tuple[str, str]] = {}
        for row in inst.rows:
            people.setdefault((row.get("user_email") or row["name"]).lower(), (row["name"], row.get("user_email", "")))
        when = at or inst.ended_at or self._emu.clock()
        rows = answer_survey(list(people.items()), survey, random.Random(seed), when, rate)
        inst.survey_answers.update(rows)
        return list(rows.values())

    def register(self, meeting_id: int | str, body: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
        """Someone fills in the registration form (checked like POST …/registrants); the stored registrant."""
        return register(self._emu.state, self._meeting(meeting_id), body, at or self._emu.clock())

    def register_person(
        self, meeting_id: int | str, name: str, email: str, rng: random.Random, at: datetime | None = None
    ) -> dict[str, Any]:
        """`name` registers, answering the meeting's own form (`fill_form`); the stored registrant."""
        form = self._meeting(meeting_id).questions
        return self.register(meeting_id, fill_form(form, name, email, rng), at)

    def register_crowd(self, meeting_id: int | str, count: int, seed: int = 0) -> list[dict[str, Any]]:
        """`count` people register, named and addressed as `simulate_crowd` names its participants."""
        rng = random.Random(seed)
        return [
            self.register_person(meeting_id, f"Participant {i + 1:03d}", f"participant{i + 1:03d}@example.org", rng)
            for i in range(count)
        ]

    def person(
        self, name: str, email: str = "", *, registrant_id: str | None = None, signed_in: bool = False
    ) -> Person:
        """A participant identity (stable participant_uuid per person)."""
        ids = self._emu.state.ids
        return Person(name, email, ids.guid(), ids.user_id() if signed_in else "", registrant_id)

    async def join(self, meeting_id: int | str, who: Person, at: datetime | None = None) -> list[DeliveryRecord]:
        """`who` joins the main room (new in-meeting user_id)."""
        at = at or self._emu.clock()
        live = self._running(meeting_id)
        if who.key in live.sessions:
            raise EmuError(400, 3000, f"{who.key} is already in the meeting.")
        live.waiting.pop(who.key, None)
        session = _Session(who, self._emu.state.ids.session_user_id(), at)
        live.sessions[who.key] = session
        return await self._send([participant_event(live.ref, "participant_joined", who, session.user_id, at)])

    def _leave(self, live: _Live, key: str, at: datetime, reason: str | None) -> list[dict[str, Any]]:
        session = live.sessions.pop(key)
        out = []
        if session.breakout is not None:
            out.append(self._leave_room(live, session, at))
        live.instance.rows.append(past_row(session.person, session.user_id, session.joined, at))
        out.append(
            participant_event(live.ref, "participant_left", session.person, session.user_id, at, leave_reason=reason)
        )
        return out

    async def leave(
        self, meeting_id: int | str, who: Person, at: datetime | None = None, reason: str | None = None
    ) -> list[DeliveryRecord]:
        """`who` leaves the meeting (from a breakout room too, if in one)."""
        live = self._running(meeting_id)
        if who.key not in live.sessions:
            raise EmuError(400, 3000, f"{who.key} is not in the meeting.")
        return await self._send(self._leave(live, who.key, at or self._emu.clock(), reason))

    async def join_breakout(
        self, meeting_id: int | str, who: Person, room: str, at: datetime | None = None
    ) -> list[DeliveryRecord]:
        """`who` moves into breakout room `room` (leaving any other room first)."""
        if self._running(meeting_id).ref.kind != "meeting":
            raise EmuError(400, 3000, "Webinars have no breakout rooms.")
        at = at or self._emu.clock()
        live = self._running(meeting_id)
        session = live.sessions.get(who.key)
        if session is None:
            raise EmuError(400, 3000, f"{who.key} is not in the meeting.")
        payloads = [self._leave_room(live, session, at)] if session.breakout else []
        room_uuid = live.rooms.setdefault(room, self._emu.state.ids.uuid())
        bo_user = self._emu.state.ids.session_user_id()
        session.breakout = (room_uuid, bo_user, at)
        payloads.append(
            participant_event(
                live.ref,
                "participant_joined_breakout_room",
                who,
                bo_user,
                at,
                parent_user_id=session.user_id,
                breakout_room_uuid=room_uuid,
            )
        )
        return await self._send(payloads)

    def _leave_room(self, live: _Live, session: _Session, at: datetime) -> dict[str, Any]:
        assert session.breakout is not None
        room_uuid, bo_user, since = session.breakout
        session.breakout = None
        live.instance.breakout_rows.append(breakout_row(session.person, bo_user, room_uuid, since, at))
        return participant_event(
            live.ref,
            "participant_left_breakout_room",
            session.person,
            bo_user,
            at,
            parent_user_id=session.user_id,
            breakout_room_uuid=room_uuid,
        )

    async def leave_breakout(
        self, meeting_id: int | str, who: Person, at: datetime | None = None
    ) -> list[DeliveryRecord]:
        """`who` returns from a breakout room to the main room."""
        live = self._running(meeting_id)
        session = live.sessions.get(who.key)
        if session is None or session.breakout is None:
            raise EmuError(400, 3000, f"{who.key} is not in a breakout room.")
        return await self._send([self._leave_room(live, session, at or self._emu.clock())])

    async def join_waiting_room(
        self, meeting_id: int | str, who: Person, at: datetime | None = None
    ) -> list[DeliveryRecord]:
        """`who` lands in the waiting room."""
        live = self._running(meeting_id)
        user_id = self._emu.state.ids.session_user_id()
        live.waiting[who.key] = (who, user_id)
        at = at or self._emu.clock()
        return await self._send([participant_event(live.ref, "participant_joined_waiting_room", who, user_id, at)])

    async def leave_waiting_room(
        self, meeting_id: int | str, who: Person, at: datetime | None = None
    ) -> list[DeliveryRecord]:
        """`who` gives up waiting."""
        live = self._running(meeting_id)
        if who.key not in live.waiting:
            raise EmuError(400, 3000, f"{who.key} is not in the waiting room.")
        _, user_id = live.waiting.pop(who.key)
        at = at or self._emu.clock()
        return await self._send([participant_event(live.ref, "participant_left_waiting_room", who, user_id, at)])

    async def admit(self, meeting_id: int | str, who: Person, at: datetime | None = None) -> list[DeliveryRecord]:
        """The host admits `who`: emits participant_admitted, then participant_joined."""
        live = self._running(meeting_id)
        if who.key not in live.waiting:
            raise EmuError(400, 3000, f"{who.key} is not in the waiting room.")
        _, user_id = live.waiting[who.key]
        at = at or self._emu.clock()
        admitted = await self._send([participant_event(live.ref, "participant_admitted", who, user_id, at)])
        return admitted + await self.join(meeting_id, who, at)

    async def play(self, crowd: Crowd) -> list[DeliveryRecord]:
        """Deliver a simulated crowd's event stream and record its ground truth as past rows."""
        ref = crowd.meeting
        if int(ref.id) in self._live:
            raise EmuError(400, 3000, f"Meeting {ref.id} is in progress; end it first.")
        inst = self._open_instance(ref, crowd.start)
        inst.rows = crowd.past_rows()
        inst.breakout_rows = crowd.breakout_rows()
        inst.ended_at = crowd.end
        m = self._emu.state.meetings.get(int(ref.id))
        if m is not None and m.next_uuid == ref.uuid:
            m.next_uuid = None
        return await self._send(list(crowd.events))
