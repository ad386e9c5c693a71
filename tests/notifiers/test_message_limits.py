"""Every rendered message keeps its tool's documented limits, and a cut never breaks what it cuts.

Random Unicode text (with the characters that hurt: `&<>`, emoji ZWJ sequences, flags, combining
accents, CRLF, astral characters) goes into every part of a notification; each target kind's payload is
checked against the limits in its renderer (Slack Block Kit, Adaptive Cards in Teams, Discord embeds,
Zoom Chat), counted both in code points and in UTF-16 units. A cut text must be a grapheme-boundary
prefix of the original, and Slack's must be escaped whole (no `&am…`).
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime

import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.notifiers import render
from integrations.notifiers.render import discord, slack, teams, zoom_chat
from integrations.notifiers.render.common import ELLIPSIS, truncate, units

from .conftest import ZOOM_TOKEN, make_notification

HURTFUL = ["&", "<", ">", "&amp;", "👩‍👩‍👧‍👦", "🇹🇭", "e\u0301", "\r\n", "𝄞", "ก่", "👍🏽", " ", "|", "]", "*"]
piece = st.one_of(st.sampled_from(HURTFUL), st.text(max_size=4))
# A short random run repeated: long enough to reach every limit without generating thousands of characters.
texts = st.builds(lambda run, times: "".join(run) * times, st.lists(piece, max_size=20), st.integers(0, 300))
values = st.builds(lambda run, times: "".join(run) * times, st.lists(piece, max_size=10), st.integers(0, 120))
short = st.builds("".join, st.lists(piece, min_size=1, max_size=30)).filter(lambda s: s.strip())


def within(text: str, limit: int) -> bool:
    return len(text) <= limit and units(text) <= limit


def cut_right(shown: str, original: str, unescape=lambda s: s) -> bool:
    """Either the whole text, or a prefix ending at a grapheme boundary followed by …"""
    if unescape(shown) == original:
        return True
    if not shown.endswith(ELLIPSIS):
        return False
    kept = unescape(shown[: -len(ELLIPSIS)])
    bounds = {m.end() for m in regex.finditer(r"\X", original)} | {0}
    return original.startswith(kept) and any(original[:b].rstrip() == kept for b in bounds)


def slack_unescape(text: str) -> str:
    assert regex.fullmatch(r"([^&]|&amp;|&lt;|&gt;)*", text, flags=regex.S), f"broken entity in {text[-12:]!r}"
    return html.unescape(text)


notifications = st.builds(
    lambda title, text, fields, links, seg: (
        make_notification(title=title, text=text, fields=fields, links=links, segment_title=seg),
        text,
    ),
    short,
    texts,
    # Field labels are the product's own names ("Ends at"): one line, so the test can split label and value.
    st.lists(st.tuples(short.filter(lambda s: "\n" not in s and "\r" not in s), values), max_size=25),
    st.lists(st.tuples(values, st.just("https://zoom.example/j/1?a=<b>&c=|")), max_size=8),
    st.one_of(st.none(), texts),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(notifications)
def test_slack_keeps_block_kit_limits_and_cuts_before_escaping(made):
    n, text = made
    payload = json.loads(render("slack", n).body)
    blocks = payload["blocks"]
    assert len(blocks) <= slack.MAX_BLOCKS and within(payload["text"], slack.FALLBACK_MAX)
    assert within(blocks[0]["text"]["text"], slack.HEADER_MAX)
    for block in blocks[1:]:
        if "fields" in block:
            assert len(block["fields"]) <= slack.FIELDS_PER_SECTION
            assert all(within(f["text"], slack.FIELD_TEXT_MAX) for f in block["fields"])
        elif block["type"] == "section":
            assert within(block["text"]["text"], slack.SECTION_TEXT_MAX)
        else:
            assert all(within(e["text"], slack.CONTEXT_TEXT_MAX) for e in block["elements"])
    if text:
        assert cut_right(blocks[1]["text"]["text"], text, slack_unescape)
    for f, (label, value) in zip((f for b in blocks if "fields" in b for f in b["fields"]), n.fields, strict=False):
        head, _, shown = f["text"].partition("\n")
        assert cut_right(head[1:-1], label, slack_unescape) and cut_right(shown, value, slack_unescape)
    if n.links:
        # Links are whole or left out, never cut inside `<url|label>`.
        links = blocks[-2]["text"]["text"]
        assert links.count("<") == links.count(">") and "|" in links or links == ELLIPSIS


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(notifications)
def test_teams_keeps_adaptive_card_and_message_size_limits(made):
    n, text = made
    request = render("teams", n)
    assert len(request.body) <= teams.PAYLOAD_BYTES_MAX
    card = json.loads(request.body)["attachments"][0]["content"]
    title, *rest = card["body"]
    assert within(title["text"], teams.TITLE_MAX) and cut_right(title["text"], n.title)
    blocks = [b for b in rest if b["type"] == "TextBlock"]
    if text and len(blocks) == 2:
        assert within(blocks[0]["text"], teams.TEXT_MAX) and cut_right(blocks[0]["text"], text)
    assert within(blocks[-1]["text"], 500)
    for fact_set in (b for b in rest if b["type"] == "FactSet"):
        assert len(fact_set["facts"]) <= teams.MAX_FACTS
        for fact, (label, value) in zip(fact_set["facts"], n.fields, strict=False):
            assert within(fact["title"], 100) and cut_right(fact["title"], label)
            assert within(fact["value"], teams.FACT_MAX) and cut_right(fact["value"], value)
    actions = card.get("actions", [])
    assert len(actions) <= teams.MAX_ACTIONS and all(within(a["title"], 60) for a in actions)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(notifications)
def test_discord_keeps_embed_limits(made):
    n, text = made
    payload = json.loads(render("discord", n).body)
    assert within(payload["content"], discord.CONTENT_MAX) and payload["allowed_mentions"] == {"parse": []}
    [embed] = payload["embeds"]
    assert within(embed["title"], discord.TITLE_MAX) and cut_right(embed["title"], n.title)
    assert within(embed.get("description", ""), discord.DESCRIPTION_MAX)
    assert within(embed["footer"]["text"], discord.FOOTER_MAX)
    fields = embed.get("fields", [])
    assert len(fields) <= discord.FIELDS_MAX
    for field, (label, value) in zip(fields, n.fields, strict=False):
        assert within(field["name"], discord.FIELD_NAME_MAX) and cut_right(field["name"], label)
        assert within(field["value"], discord.FIELD_VALUE_MAX)
        assert cut_right(field["value"], value) or (field["value"] == discord.EMPTY and not value)
    total = embed["title"] + embed.get("description", "") + embed["footer"]["text"]
    total += "".join(f["name"] + f["value"] for f in fields)
    assert within(total, discord.EMBED_TOTAL_MAX)
    if text and "description" in embed:
        # The text, then the links as `[label](url)` lines, or a lone … when not one fits. The text
        # itself may hold "\n\n[", so the text part ends at one of those places: one must be a right cut.
        body = embed["description"].removesuffix("\n\n" + ELLIPSIS)
        ends = [m.start() for m in regex.finditer(r"\n\n\[", body)] + [len(body)]
        assert any(cut_right(body[:end], text) for end in ends) or not n.links


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(notifications)
def test_zoom_chat_keeps_its_limits_in_both_formats(made):
    n, text = made
    content = json.loads(render("zoom_chat", n, token=ZOOM_TOKEN).body)["content"]
    assert within(content["head"]["text"], zoom_chat.HEAD_MAX) and cut_right(content["head"]["text"], n.title)
    assert within(content["head"]["sub_head"]["text"], zoom_chat.HEAD_MAX)
    for item in content["body"]:
        if item["type"] == "fields":
            for shown, (label, value) in zip(item["items"], n.fields, strict=False):
                assert within(shown["key"], 100) and cut_right(shown["key"], label)
                assert within(shown["value"], 500) and cut_right(shown["value"], value)
        else:
            assert within(item["text"], zoom_chat.TEXT_MAX)
    if text:
        assert cut_right(content["body"][0]["text"], text)
    plain = render("zoom_chat", n, token=ZOOM_TOKEN, zoom_format="plain").body.decode()
    assert within(plain, zoom_chat.PLAIN_MAX)


def test_a_cut_never_splits_an_entity_a_pair_or_a_cluster():
    family = "👩‍👩‍👧‍👦"  # 7 code points, 11 UTF-16 units, one character on screen
    assert truncate("ab" + family + "cd", 12) == "ab…"
    assert truncate("ab" + family + "cd", 14) == "ab" + family + "…"
    assert truncate("𝄞𝄞𝄞", 4) == "𝄞…"  # 2 units each: a pair is never split
    assert truncate("Fish & chips", 11, slack.escape) == "Fish &amp;…"
    assert truncate("Fish & chips", 10, slack.escape) == "Fish…"  # not "Fish &amp…", a broken entity
    assert truncate("née", 3) == "née" and truncate("ne\u0301e", 3) == "n…"
    # The case: an announcement escaped and then cut ended in "&amp" on Slack.
    long = "Q&A " * 1000
    body = slack.build(make_notification(text=long), long)["blocks"][1]["text"]["text"]
    assert body.endswith("&amp;…") or body.endswith("Q…") or body.endswith("A…")
    assert slack_unescape(body[:-1]) and units(body) <= slack.SECTION_TEXT_MAX


def test_teams_stays_under_28_kb_with_thai_text():
    thai = "สวัสดีครับ" * 500  # 3 bytes a character in UTF-8
    fields = [(f"ช่อง {i}", "ข้อมูล" * 100) for i in range(20)]
    n = make_notification(text=thai, fields=fields, at=datetime(2025, 1, 14, 7, 15, tzinfo=UTC))
    request = render("teams", n)
    card = json.loads(request.body)["attachments"][0]["content"]
    assert len(request.body) <= teams.PAYLOAD_BYTES_MAX
    assert card["body"][1]["text"].endswith(ELLIPSIS) and len(card["body"][2]["facts"]) == 20
