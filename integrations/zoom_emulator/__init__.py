"""A local, in-memory Zoom for tests, demos and benchmarks (REST, OAuth, webhooks, crowds)."""

from integrations.zoom_emulator.app import ZoomEmulator, create_emulator
from integrations.zoom_emulator.crowd import Crowd, ParticipantTruth, simulate_crowd
from integrations.zoom_emulator.delivery import DeliveryRecord, WebhookValidationFailed
from integrations.zoom_emulator.guard import Fault
from integrations.zoom_emulator.payloads import MeetingRef, Person

__all__ = [
    "Crowd",
    "DeliveryRecord",
    "Fault",
    "MeetingRef",
    "ParticipantTruth",
    "Person",
    "WebhookValidationFailed",
    "ZoomEmulator",
    "create_emulator",
    "simulate_crowd",
]
