"""A rehearsal's compact transcript: one line per cue, and one line per cue's group of deliveries.

Each message is not printed as it lands (five targets per cue made a demo 1,700 lines long);
instead, once every target of a cue has a final outcome, one line says where it went and what
failed, with the receiver's answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from rich.console import Console
from rich.markup import escape

from app.core.vocabulary import DELIVERY_FAILED, DeliveryStatus, FireOutcome

FINAL = (DeliveryStatus.SENT, *DELIVERY_FAILED)
KIND_WIDTH = 20
SAYS = {"announcement", "correction"}  # cue kinds whose title alone says nothing of what was posted
MESSAGE_WIDTH = 160


def _line(message: str) -> str:
    """A message on one transcript line: newlines folded, cut at MESSAGE_WIDTH."""
    text = " ".join(message.split())
    return text if len(text) <= MESSAGE_WIDTH else text[: MESSAGE_WIDTH - 1] + "…"


@dataclass
class _Group:
    stamp: str
    kind: str
    expected: int
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # target, status, reason


class Transcript:
    """Prints cues as they fire and each cue's deliveries once they are all settled."""

    def __init__(self, console: Console, tz: tzinfo):
        self.console, self.tz = console, tz
        self._groups: dict[tuple[str, str], _Group] = {}
        self.lines = 0

    def _print(self, text: str) -> None:
        self.lines += 1
        self.console.print(text, soft_wrap=True)

    def cue(self, event_id: str, row, outcome: FireOutcome) -> None:
        """An engine listener: one line per fired, late or skipped cue."""
        stamp = row.due_at.astimezone(self.tz).strftime("%H:%M:%S")
        title = escape(row.title)
        if outcome == FireOutcome.SKIPPED:
            note = f" ({escape(row.note)})" if row.note else ""
            self._print(f"[dim]{stamp} skipped {row.kind}: {title}{note}[/]")
            return
        if row.kind in SAYS and row.message:
            # An announcement's title is the bare word: what the hosts (or the readiness follow-up) said is the message.
            title = f"{title}: {escape(_line(row.message))}"
        flag = " [yellow](late)[/]" if outcome == FireOutcome.LATE else ""
        targets = len(row.targets)
        self._print(
            f"[bold cyan]{stamp}[/] {row.kind:<{KIND_WIDTH}} {title}{flag}"
            + ("" if targets else " [dim](no targets)[/]")
        )
        if targets:
            self._groups[(event_id, row.cue_id)] = _Group(stamp, row.kind, targets)

    def action(self, at: datetime, actor: str, text: str) -> None:
        """A host action (from the run log's point of view: who did what), printed as it is made."""
        stamp = at.astimezone(self.tz).strftime("%H:%M:%S")
        self._print(f"[bold magenta]{stamp}[/] {'host action':<{KIND_WIDTH}} {escape(text)} [dim]({escape(actor)})[/]")

    def delivery(self, row, values: dict) -> None:
        """A delivery-worker hook: collects final outcomes and prints the group once it is complete."""
        status = values.get("status")
        group = self._groups.get((row.event_id, row.cue_id))
        if status not in FINAL or group is None:
            return
        if status == DeliveryStatus.SENT:
            group.sent.append(row.target_id)
        else:
            group.failed.append((row.target_id, status, (values.get("last_error") or "").strip()))
        if len(group.sent) + len(group.failed) < group.expected:
            return
        del self._groups[(row.event_id, row.cue_id)]
        # Deliveries settle after later cues have fired: the line names its cue by time and kind.
        lead = f"  [dim]-> {group.stamp} {group.kind}[/]"
        done = f"{len(group.sent)}/{group.expected}"
        if not group.failed:
            self._print(f"{lead} [green]delivered {done}[/] [dim]{escape(', '.join(sorted(group.sent)))}[/]")
            return
        failures = "; ".join(f"{target} {status}: {escape(reason[:120])}" for target, status, reason in group.failed)
        self._print(f"{lead} [red]delivered {done}[/], {failures}")

    def unsettled(self) -> int:
        """Cues whose deliveries have not all settled."""
        return len(self._groups)
