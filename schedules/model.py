"""The schedule file model: everything an organiser writes about one event (pydantic, strict keys)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    EmailStr,
    Field,
    PlainSerializer,
    Tag,
    WithJsonSchema,
    model_validator,
)

from schedules import limits
from schedules.durations import (
    DURATION_PATTERN,
    TIME_PATTERN,
    format_clock,
    format_duration,
    parse_clock,
    parse_duration,
)

Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN, "examples": ["3m", "90s", "1h30m"]}),
]
Clock = Annotated[
    time | datetime,
    BeforeValidator(parse_clock),
    PlainSerializer(format_clock, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "description": "HH:MM on the event date (HH:MM+01:00 picks one reading "
            "on a clock-change day), or an ISO date-time",
            "anyOf": [{"pattern": TIME_PATTERN}, {"format": "date-time"}],
        }
    ),
]
Ident = Annotated[
    str, Field(pattern=rf"^[a-z0-9][a-z0-9_-]{{0,{limits.ID - 1}}}$", description="lower-case id: a-z 0-9 - _")
]
Title = Annotated[str, Field(min_length=1, max_length=limits.TITLE)]
LocaleName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=limits.ID,
        description="a CLDR locale (fr, th, my, km, lo, vi, pt-BR) or a language's English name (French)",
    ),
]
# Event-specific text in other languages: {fr: "Dialogue du Mékong", th: "..."} (schedule rules check the keys).
Translations = Annotated[
    dict[LocaleName, Title],
    Field(description="this text per locale, for readers in that locale (keys: CLDR locales such as fr, th)"),
]
Digits = Literal["native", "latin"]
Calendar = Literal["gregorian", "buddhist"]
EnvName = Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$", description="an environment variable name")]


class Strict(BaseModel):
    """Base for every section: unknown keys are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Role(StrEnum):
    moderator = "moderator"
    speaker = "speaker"
    respondent = "respondent"
    interpreter = "interpreter"
    technical_host = "technical_host"
    host = "host"
    alternative_host = "alternative_host"
    panelist = "panelist"
    organiser = "organiser"


class SegmentKind(StrEnum):
    setup = "setup"
    opening = "opening"
    photo = "photo"
    session = "session"
    discussion = "discussion"
    break_ = "break"
    closing = "closing"
    other = "other"


class CueKind(StrEnum):
    """Every kind of cue the timeline produces; targets filter on these names."""

    segment_start = "segment_start"
    segment_ending_soon = "segment_ending_soon"
    segment_end = "segment_end"
    respondent_slot = "respondent_slot"
    reminder = "reminder"
    readiness_check = "readiness_check"
    timer_start = "timer_start"
    timer_warning = "timer_warning"
    timer_danger = "timer_danger"
    timer_up = "timer_up"
    announcement = "announcement"
    correction = "correction"
    delay = "delay"  # a host added (or took off) time: host targets only, filterable like any kind
    # An action Showcaller takes in Zoom itself (recording, waiting room, live stream): it goes to the
    # built-in "zoom" pseudo-target, never to a chat target (schedules/zoom_actions.py).
    zoom_action = "zoom_action"


FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2099, 12, 31)


class Event(Strict):
    id: Ident
    title: Title
    date: Annotated[date, Field(ge=FIRST_DATE, le=LAST_DATE, description="the event's day (2000-2099)")]
    timezone: Annotated[str, Field(max_length=limits.ID)] = Field(description="IANA time zone, e.g. Asia/Bangkok")
    start: Clock | None = Field(None, description="when the event opens (default: first segment)")
    end: Clock | None = Field(None, description="when the event closes (default: last segment)")
    language: str = Field(
        "English",
        description="everyone's default locale: a CLDR locale (fr, th) or a language's English name (English)",
    )
    titles: Translations = Field(default_factory=dict)
    host_country: str | None = None
    organisers: list[str] = Field(default_factory=list)
    description: str | None = None


ChatUserId = Annotated[str, Field(min_length=1, max_length=limits.ID, pattern=r"^[A-Za-z0-9_.@:-]+$")]


class ChatIds(Strict):
    """A person's user ids in the chat tools whose native buttons Showcaller answers (targets in mode: app)."""

    slack: ChatUserId | None = Field(None, description="Slack member ID, e.g. U0123ABCD (profile → ⋮ → Copy member ID)")
    discord: ChatUserId | None = Field(None, description='Discord user ID (a snowflake, e.g. "80351110224678912")')
    zoom_chat: ChatUserId | None = Field(None, description="Zoom user ID (or JID) as Zoom Team Chat sends it")


class Person(Strict):
    id: Ident
    name: Title
    title: str | None = None
    honorific: str | None = None
    organisation: str | None = None
    country: str | None = None
    email: EmailStr | None = None
    roles: list[Role] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list, description="interpreters: e.g. [Khmer, English]")
    timezone: str | None = Field(None, description="their own IANA zone: invites and run sheets show it too")
    locale: LocaleName | None = Field(
        None, description="their invites, run sheet and presenter link in this locale (default: event.language)"
    )
    digits: Digits = Field(
        "latin", description="native: their presenter view's countdown in Khmer, Lao, Myanmar or Thai digits"
    )
    prepare: str | None = Field(None, description="what they should prepare (on their run sheet)")
    call_before: Duration | None = Field(
        None, description="this person's own call time before each of their slots (overrides their role's)"
    )
    chat_ids: ChatIds | None = Field(
        None, description="their user ids in chat tools: clicks on native chat buttons act as this person"
    )


class RespondentSlot(Strict):
    person: Ident | None = Field(None, description="a person id, or empty while still to be invited")
    country: str | None = None
    minutes: Annotated[float, Field(gt=0, le=60)] | None = Field(
        None, description="this respondent's own minutes (default: the respondents' minutes)"
    )


class Respondents(Strict):
    count: Annotated[int, Field(ge=1, le=20)]
    minutes: Annotated[float, Field(gt=0, le=60)] = Field(
        description="minutes per respondent (a slot may give its own)"
    )
    slots: list[RespondentSlot] = Field(default_factory=list, description="named slots, in speaking order")
    note: str | None = None
    question: str | None = Field(None, description="the question respondents answer (on their run sheets)")

    def slot_minutes(self, number: int) -> float:
        """Minutes of respondent slot `number` (1-based): its own, else the shared default."""
        named = self.slots[number - 1] if 0 < number <= len(self.slots) else None
        return named.minutes if named is not None and named.minutes is not None else self.minutes

    def slot_seconds(self, number: int) -> int:
        """Seconds of respondent slot `number` (1-based), for its timer."""
        return round(self.slot_minutes(number) * 60)

    def total_minutes(self) -> float:
        """Minutes of all slots together."""
        return sum(self.slot_minutes(n) for n in range(1, self.count + 1))

    def summary(self) -> str:
        """'2 x 3 min', or '5 + 3 min' when slots differ."""
        each = [self.slot_minutes(n) for n in range(1, self.count + 1)]
        if len(set(each)) == 1:
            return f"{self.count} x {self.minutes:g} min"
        return " + ".join(f"{m:g}" for m in each) + " min"

    @model_validator(mode="after")
    def _slots_fit_count(self) -> Respondents:
        if len(self.slots) > self.count:
            raise ValueError(f"{len(self.slots)} slots named but count is {self.count}; raise count or remove slots")
        return self


class Segment(Strict):
    id: Ident
    title: Title
    titles: Translations = Field(default_factory=dict)
    kind: SegmentKind = SegmentKind.other
    start: Clock
    end: Clock | None = None
    duration: Duration | None = None
    description: str | None = None
    moderators: list[Ident] = Field(default_factory=list)
    speakers: list[Ident] = Field(default_factory=list)
    respondents: Respondents | None = None
    flexible: bool = Field(False, description="may shrink or grow to absorb a delay")
    min_duration: Duration | None = Field(
        None, description="a late show shrinks this flexible segment no further (default: half its length)"
    )
    max_duration: Duration | None = Field(
        None,
        description="with run.early: absorb, an early show grows this flexible segment no further "
        "(default: its planned length)",
    )
    notes: str | None = None

    @model_validator(mode="after")
    def _end_or_duration(self) -> Segment:
        if self.end is None and self.duration is None:
            raise ValueError("the segment has neither end nor duration; add end: HH:MM or duration: 30m")
        if self.end is not None and self.duration is not None:
            raise ValueError("the segment has both end and duration; keep only one of them")
        return self


class RelativeTo(StrEnum):
    start = "start"
    end = "end"


class CueSpec(Strict):
    """A reminder the organiser wants posted at a fixed moment or relative to a segment."""

    id: Ident
    message: Annotated[str, Field(min_length=1, max_length=2000)]
    at: Clock | None = Field(None, description="absolute time (HH:MM on the event date)")
    segment: Ident | None = Field(None, description="anchor segment for a relative cue")
    anchor: RelativeTo = RelativeTo.start
    offset: Duration = timedelta(0)
    targets: list[Ident] = Field(default_factory=list, description="target ids; empty = every target")
    title: Title | None = None
    titles: Translations = Field(default_factory=dict)
    messages: dict[LocaleName, Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        default_factory=dict, description="the message per locale, for targets in that locale"
    )

    @model_validator(mode="after")
    def _at_or_segment(self) -> CueSpec:
        if (self.at is None) == (self.segment is None):
            which = "neither" if self.at is None else "both"
            raise ValueError(
                f"the cue has {which} at and segment; give either at: HH:MM, or segment: ID (with anchor and offset)"
            )
        return self


class BreakoutRoom(Strict):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    participants: list[str] = Field(default_factory=list, description="person ids or emails")


class Interpretation(Strict):
    interpreter: str = Field(description="a person id or email")
    # Exactly two, checked by the rules (schedules/rules.py) so that a wrong count is one message and
    # the entry still counts as the interpreter's; the schema keeps the bounds for editors.
    languages: list[str] = Field(
        description="the pair of language names Zoom shows, e.g. [Khmer, English]",
        json_schema_extra={"minItems": 2, "maxItems": 2},
    )


class RegistrationField(StrEnum):
    """Zoom's standard registration fields (first name and email are always asked)."""

    last_name = "last_name"
    address = "address"
    city = "city"
    country = "country"
    zip = "zip"
    state = "state"
    phone = "phone"
    industry = "industry"
    organisation = "organisation"
    job_title = "job_title"
    purchasing_time_frame = "purchasing_time_frame"
    role_in_purchase_process = "role_in_purchase_process"
    no_of_employees = "no_of_employees"
    comments = "comments"


class QuestionType(StrEnum):
    single = "single"
    short = "short"


class CustomQuestion(Strict):
    """A question of the organiser's own: one answer from a fixed list (single) or a short text."""

    title: Annotated[str, Field(min_length=1, max_length=200)]
    type: QuestionType = QuestionType.single
    answers: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, description="single: the fixed answers to choose from"
    )
    required: bool = True

    @model_validator(mode="after")
    def _answers_fit_type(self) -> CustomQuestion:
        if self.type is QuestionType.single and len(self.answers) < 2:
            raise ValueError(
                f"question {self.title!r} is single-choice but has {len(self.answers)} answer(s); "
                "list at least two under answers:, or set type: short"
            )
        if self.type is QuestionType.short and self.answers:
            raise ValueError(f"question {self.title!r} is a short answer; remove answers: or set type: single")
        if len(set(self.answers)) != len(self.answers):
            raise ValueError(f"question {self.title!r} lists an answer twice; keep each answer once")
        return self


class Registration(Strict):
    """What Zoom asks people who register, and whether the organisers approve each one."""

    approval: Literal["automatic", "manual"] = Field(
        "automatic", description="automatic: everyone who registers gets a link; manual: organisers approve"
    )
    fields: list[RegistrationField] = Field(default_factory=list, description="standard fields, required")
    optional_fields: list[RegistrationField] = Field(
        default_factory=list, description="standard fields asked but not required"
    )
    questions: list[CustomQuestion] = Field(default_factory=list, description="custom questions, in order")

    @model_validator(mode="after")
    def _no_repeats(self) -> Registration:
        both = [f.value for f in self.fields] + [f.value for f in self.optional_fields]
        twice = sorted({f for f in both if both.count(f) > 1})
        if twice:
            raise ValueError(
                f"registration field {', '.join(twice)} is listed twice; keep it once, "
                "under fields: (required) or optional_fields:"
            )
        titles = [q.title.strip().casefold() for q in self.questions]
        dup = sorted({q.title for q in self.questions if titles.count(q.title.strip().casefold()) > 1})
        if dup:
            raise ValueError(f"registration question {dup[0]!r} is asked twice; give each question its own title")
        return self


# `registration: true` or a mapping: the tag picks the branch, so an error names only the one meant.
UNION_TAGS = frozenset({"on-off", "form", "message-list", "message-ids"})
RegistrationSetting = Annotated[
    Annotated[bool, Tag("on-off")] | Annotated[Registration, Tag("form")],
    Discriminator(lambda v: "form" if isinstance(v, dict | Registration) else "on-off"),
]


class ZoomRecording(Strict):
    """When Zoom records: started, paused and stopped by Showcaller at the agenda's moments."""

    mode: Literal["cloud", "local"] = Field(
        "cloud",
        description="cloud: Showcaller starts, pauses and stops Zoom's cloud recording; local: Zoom's API "
        "cannot control a local recording, so the hosts are reminded at each moment instead",
    )
    start_at: Ident = Field(description="a segment id: the recording starts when this segment starts")
    pause_during: list[Ident] = Field(
        default_factory=list, description="segment ids (breaks): paused when each starts, resumed when it ends"
    )
    stop_at: Ident = Field(
        "end", description="a segment id: the recording stops when this segment ends; end (default): the event's end"
    )


class PollQuestionType(StrEnum):
    single = "single"
    multiple = "multiple"


class PollQuestion(Strict):
    """One question of a poll or of Zoom's own survey: one answer (single) or several (multiple)."""

    name: Annotated[str, Field(min_length=1, max_length=1024)]
    type: PollQuestionType = PollQuestionType.single
    answers: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        description="the answers to choose from (at least two)"
    )

    @model_validator(mode="after")
    def _answers(self) -> PollQuestion:
        if len(self.answers) < 2:
            raise ValueError(
                f"question {self.name!r} has {len(self.answers)} answer(s); Zoom needs at least two under answers:"
            )
        if len(set(self.answers)) != len(self.answers):
            raise ValueError(f"question {self.name!r} lists an answer twice; keep each answer once")
        return self


class ZoomPoll(Strict):
    """A poll created in the meeting ahead (by `apply`); the hosts are reminded to open it at `open_at`."""

    title: Annotated[str, Field(min_length=1, max_length=64)]
    anonymous: bool = Field(True, description="Zoom hides who answered what")
    questions: list[PollQuestion] = Field(min_length=1)
    open_at: Ident = Field(description="a segment id: hosts are reminded to open the poll when it starts")


class ZoomSurvey(Strict):
    """The survey Zoom shows when the meeting ends: a link to your own, or Zoom's own questions."""

    link: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^https://")] | None = Field(
        None, description="a third-party survey (https, at most 64 characters)"
    )
    title: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(None, description="Zoom's own survey")
    anonymous: bool = True
    questions: list[PollQuestion] = Field(default_factory=list, description="Zoom's own survey: its questions")

    @model_validator(mode="after")
    def _link_or_questions(self) -> ZoomSurvey:
        if (self.link is None) == (not self.questions):
            which = "neither" if self.link is None else "both"
            raise ValueError(f"the survey has {which} link and questions; give link: https://... or questions:")
        return self


class ZoomLivestream(Strict):
    """A custom live stream (YouTube, Vimeo, any RTMP service), started and stopped on the agenda."""

    url_env: EnvName = Field(description="the variable holding the stream URL (rtmp://...)")
    key_env: EnvName = Field(description="the variable holding the stream key")
    page_url: Annotated[str, Field(max_length=1024, pattern=r"^https?://")] = Field(
        description="the page where people watch it"
    )
    start_at: Ident = Field(description="a segment id: the stream starts when this segment starts")
    stop_at: Ident = Field(
        "end", description="a segment id: the stream stops when this segment ends; end (default): the event's end"
    )


class ZoomSettings(Strict):
    kind: Literal["meeting", "webinar"] = "meeting"
    host: Annotated[EmailStr, Field(max_length=limits.ZOOM_HOST)] | None = Field(
        None, description="the Zoom user that owns the meeting"
    )
    topic: Title | None = Field(None, description="default: the event title")
    agenda: str | None = None
    password: Annotated[str, Field(max_length=10)] | None = None
    waiting_room: bool = True
    mute_upon_entry: bool = True
    join_before_host: bool = False
    auto_recording: Literal["none", "local", "cloud"] = "cloud"
    registration: RegistrationSetting = Field(
        False, description="true, or the questions to ask and the approval mode (see README: Registration)"
    )
    alternative_hosts: list[str] = Field(default_factory=list, description="person ids or emails")
    panelists: list[str] | None = Field(None, description="webinar: person ids (default: everyone on stage)")
    interpretation: list[Interpretation] = Field(default_factory=list)
    breakout_rooms: list[BreakoutRoom] = Field(default_factory=list)
    invitees: list[str] = Field(default_factory=list, description="person ids or emails")
    lead_time: Duration = Field(timedelta(minutes=30), description="open this long before the first segment")
    recording: ZoomRecording | None = Field(
        None, description="start, pause and stop the recording on the agenda (README: Zoom actions)"
    )
    waiting_room_message: Annotated[str, Field(min_length=1, max_length=400)] | None = Field(
        None,
        description="the waiting-room text, set again as each segment starts; may use {event}, {segment}, "
        "{start}, {next}, {next_start}, {zone} (e.g. 'The dialogue resumes at {next_start} {zone} with {next}')",
    )
    livestream: ZoomLivestream | None = None
    polls: list[ZoomPoll] = Field(default_factory=list, description="created by apply; hosts open each at open_at")
    survey: ZoomSurvey | None = Field(None, description="shown to participants when the meeting ends")


class TargetKind(StrEnum):
    slack = "slack"
    teams = "teams"
    zoom_chat = "zoom_chat"
    discord = "discord"
    webhook = "webhook"


class TargetMode(StrEnum):
    """How a chat target posts: an incoming webhook (link buttons), or as an app whose buttons call back."""

    webhook = "webhook"
    app = "app"


class ButtonVerb(StrEnum):
    """A host action a chat message can offer as a link button (targets[].buttons)."""

    advance = "advance"  # start the next segment, only if the one named in the message still runs
    delay_5 = "delay_5"  # delay the rest of the event by 5 minutes, only if the same segment still runs
    undo = "undo"  # undo the host action the message was about, only if it is still the last one


class TargetFilter(Strict):
    kinds: list[CueKind] = Field(default_factory=list, description="empty = every kind")
    segments: list[Ident] = Field(default_factory=list, description="empty = every segment")


class Target(Strict):
    id: Ident
    kind: TargetKind
    url_env: EnvName
    token_env: EnvName | None = Field(None, description="zoom_chat: the verification token")
    secret_env: EnvName | None = Field(None, description="webhook: the Standard Webhooks signing secret")
    timezone: str | None = Field(None, description="show times in this zone instead of the event's")
    locale: LocaleName | None = Field(None, description="write its messages in this locale (default: event.language)")
    digits: Digits = Field("latin", description="native: Khmer, Lao, Myanmar or Thai digits in its messages")
    calendar: Calendar = Field("gregorian", description="buddhist: Buddhist-era years (2565 for 2022), era printed")
    filter: TargetFilter = Field(default_factory=TargetFilter)
    template: str | None = Field(None, description="Jinja2 template for the message text")
    hosts: bool = Field(False, description="receives readiness alerts and failures meant for hosts")
    buttons: list[ButtonVerb] = Field(
        default_factory=list,
        description="hosts targets: host actions offered as single-use link buttons in each message "
        "(needs SHOWCALLER_PUBLIC_URL); default none",
    )
    mode: TargetMode = Field(
        TargetMode.webhook,
        description="slack and discord: 'app' posts as your chat app, whose buttons act here when "
        "pressed (docs/notifications.md); default 'webhook'",
    )
    channel: ChatUserId | None = Field(None, description="slack, mode app: the channel ID to post in (C0123ABCD)")
    allow: list[ChatUserId] = Field(
        default_factory=list,
        description="mode app: chat user ids that may press buttons besides the people whose chat_ids name them",
    )


class Timers(Strict):
    warning: Duration = timedelta(seconds=60)
    danger: Duration = timedelta(seconds=30)


class Readiness(Strict):
    before: Duration = timedelta(minutes=10)
    enabled: bool = True


class RunRules(Strict):
    ending_soon: Duration = Field(timedelta(minutes=5), description="warn this long before a segment ends")
    delay_mode: Literal["absorb", "shift"] = "absorb"
    early: Literal["end_early", "absorb"] = Field(
        "end_early",
        description="when the show runs ahead: end_early keeps every segment's length so the event ends "
        "early; absorb lets flexible segments grow, each up to its max_duration",
    )


# People on stage join before their slot for a sound and video check; the one who runs a segment
# needs the longest (briefing, the order of speakers). Overridden per role in stage.call_before and
# per person in people[].call_before; 0m calls them at the minute of their slot.
DEFAULT_CALL_BEFORE: dict[Role, timedelta] = {
    Role.moderator: timedelta(minutes=30),
    Role.speaker: timedelta(minutes=20),
    Role.respondent: timedelta(minutes=15),
}
MAX_CALL_BEFORE = timedelta(hours=4)


StageText = Annotated[str, Field(min_length=1, max_length=200)]


class StageSettings(Strict):
    """The presenter view: preset messages for the stage, and when each role is called before its slot."""

    messages: Annotated[
        Annotated[list[StageText], Tag("message-list")] | Annotated[dict[Ident, StageText], Tag("message-ids")],
        Discriminator(lambda v: "message-ids" if isinstance(v, dict) else "message-list"),
    ] = Field(
        default_factory=lambda: ["Please wrap up", "30 seconds", "Time is up"],
        description="preset stage messages the console offers: a list, or a mapping of ids to texts "
        "(a Stream Deck key shows one by id: POST .../deck/stage/messages/{id})",
    )
    call_before: dict[Role, Duration] = Field(
        default_factory=dict,
        description="per role, how long before their slot people are called (invites, run sheets); "
        "defaults: moderator 30m, speaker 20m, respondent 15m, other roles 0m",
    )

    @property
    def presets(self) -> list[str]:
        """The preset texts, in the file's order (the console's buttons)."""
        return list(self.messages.values()) if isinstance(self.messages, dict) else list(self.messages)

    def preset_ids(self) -> dict[str, str]:
        """Each preset by id: a mapping's keys, or a list's positions from 1 ("1", "2", ...)."""
        if isinstance(self.messages, dict):
            return dict(self.messages)
        return {str(n): text for n, text in enumerate(self.messages, start=1)}

    def call_for(self, role: Role) -> timedelta:
        """How long before a slot in `role` its person is called: the schedule's value, else the default."""
        return self.call_before.get(role, DEFAULT_CALL_BEFORE.get(role, timedelta(0)))


class Schedule(Strict):
    schema_: str | None = Field(None, alias="$schema")
    version: Literal[1] = 1
    event: Event
    zoom: ZoomSettings = Field(default_factory=ZoomSettings)
    people: list[Person] = Field(default_factory=list)
    segments: list[Segment] = Field(min_length=1)
    cues: list[CueSpec] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    timers: Timers = Field(default_factory=Timers)
    readiness: Readiness = Field(default_factory=Readiness)
    run: RunRules = Field(default_factory=RunRules)
    stage: StageSettings = Field(default_factory=StageSettings)

    def person(self, person_id: str) -> Person | None:
        """The person with this id, if any."""
        return next((p for p in self.people if p.id == person_id), None)

    def segment(self, segment_id: str) -> Segment | None:
        """The segment with this id, if any."""
        return next((s for s in self.segments if s.id == segment_id), None)
