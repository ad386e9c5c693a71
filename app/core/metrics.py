"""What the service counts for /metrics (Prometheus text format), and the log lines that go with it.

Each started service has its own registry, so two services in one process (tests, a rehearsal next to a
server) never mix their numbers. The hooks here only observe: a failing hook must never stop a cue
or a delivery, so each one swallows its own errors after logging them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

from app.core.vocabulary import CueStatus, DeliveryStatus, FireOutcome

log = logging.getLogger("showcaller.run")
CUE_OUTCOMES = (*FireOutcome, CueStatus.SUPERSEDED)
# Seconds, real time: a message should land within a second; a few take retries.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900)
LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 120, 600)
PARK_REASONS = ("refused", "unset", "unusable")  # see park_reason()
WEBHOOK_PATH = "/webhooks/zoom"
# The text format every Prometheus reads (the names here are all legacy-valid, so the body is the same).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


class Metrics:
    """The service's counters, gauges and histograms in one registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._targets: Callable[[], Iterable[tuple[str, str]]] = lambda: ()
        r = self.registry
        self.cues = Counter(
            "showcaller_cues",
            "Cues by kind and outcome (fired, late, skipped, superseded)",
            ["kind", "outcome"],
            registry=r,
        )
        self.deliveries = Counter(
            "showcaller_deliveries",
            "Delivery outcomes by status (sent, retrying, parked, expired) and target kind: each attempt's, "
            "and each delivery parked at once because its target cannot be used",
            ["status", "target_kind"],
            registry=r,
        )
        self.parked = Counter(
            "showcaller_deliveries_parked",
            "Deliveries parked, by target and reason: refused (the receiver's permanent answer), unset (a "
            "variable the target names is not set: never attempted), unusable (any other reason it cannot be sent)",
            ["target", "target_kind", "reason"],
            registry=r,
        )
        self.delivery_latency = Histogram(
            "showcaller_delivery_latency_seconds",
            "From a cue firing to its message being accepted, real seconds",
            ["target_kind"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.zoom_calls = Counter(
            "showcaller_zoom_api_calls",
            "Calls to the Zoom API and OAuth by method and HTTP status",
            ["method", "status"],
            registry=r,
        )
        self.zoom_rate_limited = Counter(
            "showcaller_zoom_api_rate_limited", "Zoom API answers with HTTP 429", registry=r
        )
        self.webhooks = Counter("showcaller_webhooks", "Zoom webhook requests by HTTP status", ["status"], registry=r)
        self.webhook_latency = Histogram(
            "showcaller_webhook_seconds", "Time to answer a Zoom webhook", buckets=LATENCY_BUCKETS, registry=r
        )
        self.sse_clients = Gauge(
            "showcaller_sse_clients",
            "Open server-sent-event streams by kind (console, agenda, stage)",
            ["stream"],
            registry=r,
        )
        self.dispatcher = Gauge(
            "showcaller_dispatcher",
            "1 while this instance fires cues and sends deliveries (a single instance, or the one holding the "
            "dispatcher lease), else 0 (a standby, or one whose timer or delivery worker is not running)",
            registry=r,
        )
        self.takeovers = Counter(
            "showcaller_dispatcher_takeovers", "Times this instance became the dispatcher", registry=r
        )
        self.timer_lag = Histogram(
            "showcaller_timer_lag_seconds",
            "How long after its due time a cue fired, real seconds",
            buckets=LAG_BUCKETS,
            registry=r,
        )

    def exposition(self) -> bytes:
        """The registry in Prometheus text format."""
        self._zero_target_series()
        return generate_latest(self.registry)

    def watch_targets(self, targets: Callable[[], Iterable[tuple[str, str]]]) -> None:
        """`targets()`: (target id, kind) of the loaded events, read at scrape time."""
        self._targets = targets

    def _zero_target_series(self) -> None:
        """Every target's failure series exist, at 0, before its first failure: `increase()` needs two
        samples, so a series born at 1 would hide the first parked message from the alert."""
        try:
            for target, kind in set(self._targets()):
                for status in (DeliveryStatus.PARKED, DeliveryStatus.EXPIRED):
                    self.deliveries.labels(status, kind)
                for reason in PARK_REASONS:
                    self.parked.labels(target, kind, reason)
        except Exception:  # a scrape must answer even if an event is being replaced meanwhile
            log.exception("metrics: could not list the targets")

    # -- hooks ---------------------------------------------------------------------------------

    def zoom_hooks(self, *bases: str) -> dict[str, list]:
        """httpx event hooks that count the client's calls to Zoom (URLs under any of `bases`)."""
        prefixes = tuple(base.rstrip("/") for base in bases if base)

        async def response(resp: httpx.Response) -> None:
            if prefixes and not str(resp.request.url).startswith(prefixes):
                return
            self.zoom_calls.labels(resp.request.method, str(resp.status_code)).inc()
            if resp.status_code == 429:
                self.zoom_rate_limited.inc()

        return {"response": [response]}

    def watch_streams(self, broadcaster, hub_of) -> None:
        """Gauge the open streams at scrape time: host console/API streams, public agenda ones (the
        hub's clients, not its one relay per event) and presenter views."""

        def agenda() -> int:
            hub = hub_of()
            return hub.clients() if hub is not None else 0

        self.sse_clients.labels("console").set_function(lambda: broadcaster.total("console"))
        self.sse_clients.labels("agenda").set_function(agenda)
        self.sse_clients.labels("stage").set_function(lambda: broadcaster.total("stage"))

    def watch_dispatcher(self, dispatching: Callable[[], bool]) -> None:
        """Read at scrape time: whether this instance fires cues and sends deliveries right now."""
        self.dispatcher.set_function(lambda: 1.0 if dispatching() else 0.0)

    def _parked(self, target: str, kind: str, reason: str) -> None:
        self.deliveries.labels(DeliveryStatus.PARKED, kind).inc()
        self.parked.labels(target, kind, reason).inc()

    def on_cue(
        self,
        clock,
        parked: Callable[[str], dict[str, str]] = lambda event_id: {},
        target_kind: Callable[[str, str], str] = lambda event_id, target_id: "unknown",
    ) -> Any:
        """An engine listener: counts each cue, observes how late the timer fired it, logs it. A fired
        cue's deliveries to a target that cannot be used (`parked`: target id -> why) were parked in
        its transaction without an attempt: they are counted here, as the worker never sees them."""
        speed = float(getattr(clock, "speed", 1.0)) or 1.0
        for outcome in CUE_OUTCOMES:
            self.cues.labels("segment_start", outcome)  # the series exist (at 0) before the first cue

        def listener(event_id: str, row, outcome: FireOutcome) -> None:
            try:
                self.cues.labels(row.kind, outcome).inc()
                if outcome in (FireOutcome.FIRED, FireOutcome.LATE):
                    problems = parked(event_id)
                    for target in (t for t in row.targets if t in problems):
                        self._parked(target, target_kind(event_id, target), park_reason(problems[target]))
                if outcome in (FireOutcome.FIRED, FireOutcome.LATE) and row.due_at is not None:
                    self.timer_lag.observe(max(0.0, (clock.now() - row.due_at).total_seconds() / speed))
                level = logging.WARNING if outcome == FireOutcome.LATE else logging.INFO
                log.log(
                    level,
                    "cue %s %s: %s",
                    outcome,
                    row.kind,
                    row.title,
                    extra={"event_id": event_id, "cue_id": row.cue_id},
                )
            except Exception:  # observing must never stop the engine
                log.exception("metrics: could not record a cue")

        return listener

    def on_delivery(self, clock, target_kind) -> Any:
        """A delivery-worker hook: counts each attempt's outcome, observes latency, logs it."""
        speed = float(getattr(clock, "speed", 1.0)) or 1.0

        def hook(row, values: dict) -> None:
            try:
                status = values.get("status")
                if status == DeliveryStatus.PENDING:
                    if "next_attempt_at" not in values:
                        return  # put back in the queue untried: not an attempt
                    status = "retrying"
                kind = target_kind(row.event_id, row.target_id)
                if status == DeliveryStatus.PARKED:
                    # With an HTTP status the receiver refused it; without, it was never attempted.
                    reason = "refused" if "last_status" in values else park_reason(values.get("last_error") or "")
                    self._parked(row.target_id, kind, reason)
                else:
                    self.deliveries.labels(status, kind).inc()
                if status == DeliveryStatus.SENT and row.created_at is not None:
                    seconds = (clock.now() - row.created_at).total_seconds() / speed
                    self.delivery_latency.labels(kind).observe(max(0.0, seconds))
                level = logging.INFO if status == DeliveryStatus.SENT else logging.WARNING
                if not log.isEnabledFor(level):
                    return
                log.log(
                    level,
                    "delivery %s to %s%s",
                    status,
                    row.target_id,
                    f": {values['last_error']}" if values.get("last_error") else "",
                    extra={
                        "event_id": row.event_id,
                        "cue_id": row.cue_id,
                        "delivery_id": row.id,
                        "target_id": row.target_id,
                    },
                )
            except Exception:  # observing must never stop a delivery
                log.exception("metrics: could not record a delivery")

        return hook


def park_reason(problem: str) -> str:
    """Why a delivery was parked without an attempt, as a label: its target names a variable that is
    not set (app/engine/targets.py says "... is not set"), or it cannot be used for another reason."""
    return "unset" if "is not set" in problem else "unusable"


class WebhookTiming:
    """ASGI middleware: counts and times POST /webhooks/zoom without touching its handler."""

    def __init__(self, app, metrics_of) -> None:
        self.app, self.metrics_of = app, metrics_of

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("path") != WEBHOOK_PATH:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            metrics = self.metrics_of()
            if metrics is not None:
                metrics.webhooks.labels(str(status["code"])).inc()
                metrics.webhook_latency.observe(time.perf_counter() - started)
