"""Text that fits every script (issue 30): random Thai, Khmer, Burmese, emoji and combining text
through every truncation point Showcaller has: never a broken grapheme cluster, never over the
limit, zero-width characters counted where a service counts them and never left before an ellipsis.

The truncation points: schedules.graphemes.cut/prefix (the one implementation), limits.fit (cue
titles, presenter-link names), the renderers' truncate (every target kind's limits; the renderers
themselves are checked with these texts in tests/notifiers/test_message_limits.py's way below), a
message template's output cap, a fired readiness check's headline, and an undo's labels.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.attendance.people import Check, Expected
from app.attendance.readiness import TITLE_MAX
from app.attendance.readiness import render as readiness_render
from app.run.undo import QUOTE_CHARS, summary, withdrawn_label
from integrations.notifiers.render import render
from integrations.notifiers.render.common import truncate, units
from integrations.notifiers.render.slack import escape as slack_escape
from integrations.notifiers.templates import MAX_OUTPUT_CHARS, compile_template
from schedules.adjustments import Announce
from schedules.graphemes import ELLIPSIS, ZERO_WIDTH, boundaries, cut, prefix, visible_length
from schedules.limits import TITLE, fit
from schedules.load import load_file
from tests.notifiers.conftest import make_notification
from tests.schedules.conftest import MEKONG

PIECES = [
    # Thai: consonant + vowel + tone mark stacks, no spaces between words
    "ก่",
    "ที่",
    "น้ำ",
    "กำ",
    "เด็ก",
    "ไม่",
    "๑๒",
    # Khmer: coeng subscripts, and CLDR's zero-width space between words
    "ស្រ្តី",
    "ក្ម",
    "ម៉ោង\u200bនៅ",
    "\u200b",
    "៣",
    # Burmese (Unicode): medials, asat, stacked consonants
    "မြန်",
    "ကြ",
    "ဆိုင်",
    "၀၁",
    "င်္ဂ",
    # Lao
    "ເວລາ",
    "ໃນ",
    # emoji: ZWJ families, flags, skin tones, keycaps
    "👩‍👩‍👧‍👦",
    "🇹🇭",
    "🇲🇲",
    "👍🏽",
    "1️⃣",
    # combining marks, joiners, spaces
    "e\u0301",
    "a\u0308\u0323",
    "\u200d",
    "\u200c",
    " ",
    "\r\n",
    "&",
    "<",
]
piece = st.one_of(st.sampled_from(PIECES), st.text(max_size=3))
texts = st.builds(lambda run, times: "".join(run) * times, st.lists(piece, min_size=1, max_size=25), st.integers(1, 60))
limits = st.integers(0, 400)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def kept_whole(shown: str, original: str, ellipsis: str = ELLIPSIS) -> bool:
    """`shown` is `original`, or a start of it ending between clusters followed by the ellipsis."""
    if shown == original:
        return True
    if not shown.endswith(ellipsis):
        return shown == "" or (original.startswith(shown) and len(shown) in boundaries(original))
    kept = shown[: -len(ellipsis)]
    return original.startswith(kept) and len(kept) in boundaries(original)


@FAST
@given(texts, limits)
def test_cut_and_prefix(text, limit):
    for measure in (len, units):
        shown = cut(text, limit, measure)
        assert measure(shown) <= limit
        assert kept_whole(shown, text)
        if shown != text and shown:
            assert shown[-2:-1] not in ("\u200b", " "), "a zero-width or blank left before the ellipsis"
        start = prefix(text, limit, measure)
        assert measure(start) <= limit and text.startswith(start) and len(start) in boundaries(text)


@FAST
@given(texts)
def test_fit_keeps_cue_titles_whole(text):
    shown = fit(text, TITLE)
    assert len(shown) <= TITLE and kept_whole(shown, text)


@FAST
@given(texts, st.integers(1, 400))
def test_renderer_truncate_escaped_and_whole(text, limit):
    shown = truncate(text, limit, slack_escape)
    assert units(shown) <= limit
    assert kept_whole(html.unescape(shown), text) or html.unescape(shown).rstrip(ELLIPSIS) == ""


@FAST
@given(texts)
def test_template_output_is_capped_between_clusters(text):
    long = text * (MAX_OUTPUT_CHARS // max(len(text), 1) + 2)
    out = compile_template("{{ text }}").render(make_notification(text=long))
    assert len(out) <= MAX_OUTPUT_CHARS and kept_whole(out, long.strip())


@FAST
@given(texts, texts)
def test_a_readiness_headline_fits(title, name):
    now = datetime(2022, 5, 30, 7, 0, tzinfo=UTC)
    missing = [Expected(f"p{i}", name, "speaker") for i in range(5)]
    head, _, _ = readiness_render(title, now + timedelta(minutes=10), now, Check(missing, [], set()))
    whole = f"Readiness: {title} in 10 min — missing: " + ", ".join([f"{name} (speaker)"] * 5)
    assert len(head) <= TITLE_MAX and kept_whole(head, whole)


SCHEDULE = load_file(MEKONG)


@FAST
@given(texts)
def test_undo_labels_quote_announcements_whole(message):
    at = datetime(2022, 5, 30, 8, 0, tzinfo=UTC)
    row = SimpleNamespace(kind="announcement", title="Announcement", message=message, fired_at=at)
    quote = withdrawn_label(SCHEDULE, row).split(" '", 1)[1][:-1]
    spaced = " ".join(message.split())
    assert len(quote) <= QUOTE_CHARS + 1
    if quote.endswith("...") and quote != spaced:
        kept = quote[:-3]
        assert spaced.startswith(kept) and len(kept) in boundaries(spaced)
    label = summary(SCHEDULE, [], Announce(at, announcement_id="a", message=message))
    shown = label.removeprefix("Announcement: ")
    assert len(shown) <= 60 and kept_whole(shown, message, "...")


@FAST
@given(texts, texts)
def test_every_target_kind_renders_script_text_whole(title, text):
    n = make_notification(title=title.strip() or "t", text=text, segment_title=title or None)
    for kind in ("slack", "teams", "discord", "zoom_chat", "webhook"):
        body = render(kind, n, token="t", secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").body.decode("utf-8")
        assert "\ufffd" not in body


def test_zero_width_characters_count_where_services_count_them_but_are_not_seen():
    khmer = "ម៉ោង\u200bនៅ\u200bឥណ្ឌូចិន"
    assert units(khmer) == len(khmer)  # a service counts the zero-width spaces: so do the limits
    assert visible_length(khmer) == len(regex.findall(r"\X", khmer)) - 2
    assert cut("abc\u200bdef", 5) == "abc…"  # never "abc\u200b…"
    assert all(c in ZERO_WIDTH for c in "\u200b\u200c\u200d")
