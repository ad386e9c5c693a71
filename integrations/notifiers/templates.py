"""Per-target message templates: sandboxed Jinja2, checked when the schedule is loaded."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from integrations.notifiers.errors import TemplateError
from integrations.notifiers.message import Notification, format_local
from schedules.graphemes import prefix

log = logging.getLogger(__name__)

MAX_TEMPLATE_CHARS = 8_000
MAX_OUTPUT_CHARS = 4_000

#: Names a template may use; each is documented in docs/notifications.md.
TEMPLATE_VARIABLES = frozenset(
    {
        "delivery_id",
        "event_id",
        "event_title",
        "cue_id",
        "kind",
        "title",
        "text",
        "at",
        "timezone",
        "segment_title",
        "fields",
        "field",
        "links",
        "severity",
        "time",
        "date",
    }
)

_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True)


def _local_filter(value: datetime, tz: str = "UTC") -> str:
    return format_local(value, tz)


_ENV.filters["local"] = _local_filter


class MessageTemplate:
    """A compiled, sandboxed template producing the message text of a notification."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._template = _ENV.from_string(source)

    def render(self, notification: Notification) -> str:
        """The text for `notification`; falls back to its own text if the template fails."""
        try:
            out = self._template.render(template_context(notification)).strip()
        except Exception as exc:
            # Whatever a user template does at render time, a live cue must still go out:
            # send the default text and leave a trace.
            log.warning("template failed for %s (%s); sent default text", notification.cue_id, exc)
            return notification.text
        return prefix(out, MAX_OUTPUT_CHARS)  # between grapheme clusters

    def __repr__(self) -> str:
        return f"MessageTemplate({self.source[:40]!r}{'…' if len(self.source) > 40 else ''})"


def template_context(n: Notification) -> dict[str, Any]:
    """The variables a template sees for notification `n`."""
    shown = n.display_fields()
    return {
        "delivery_id": n.delivery_id,
        "event_id": n.event_id,
        "event_title": n.event_title,
        "cue_id": n.cue_id,
        "kind": n.kind,
        "title": n.title,
        "text": n.text,
        "at": n.at,
        "timezone": n.timezone,
        "segment_title": n.segment_title or "",
        "fields": shown,
        "field": dict(shown),
        "links": list(n.links),
        "severity": n.severity.value,
        "time": n.local(),
        "date": format_local(n.at, n.timezone, with_date=True, reader=n.reader),
    }


def compile_template(source: str) -> MessageTemplate:
    """Compile `source`, raising TemplateError for syntax errors or unknown variable names."""
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateError(f"template is too long ({len(source)} > {MAX_TEMPLATE_CHARS} chars)")
    try:
        tree = _ENV.parse(source)
        _reject_unsafe(tree)
        names = meta.find_undeclared_variables(tree)
        compiled = MessageTemplate(source)
    except TemplateSyntaxError as exc:  # also TemplateAssertionError (unknown filter or test)
        raise TemplateError(f"template error: {exc.message}", line=exc.lineno) from None
    unknown = sorted(names - TEMPLATE_VARIABLES)
    if unknown:
        allowed = ", ".join(sorted(TEMPLATE_VARIABLES))
        raise TemplateError(f"unknown template variable(s) {', '.join(unknown)}; use: {allowed}")
    return compiled


def _reject_unsafe(tree: nodes.Template) -> None:
    # The sandbox blocks these at render time; refusing them now surfaces the mistake at load.
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        raise TemplateError("templates cannot extend, include or import", line=node.lineno)
    for attr in tree.find_all(nodes.Getattr):
        if attr.attr.startswith("_"):
            raise TemplateError(f"'{attr.attr}' is not allowed in templates", line=attr.lineno)
