"""Small plain uploads are read in-process (`load_small`) because their work is bounded by a count:
the composer stops at INLINE_MAX_VALUES nodes or at the first alias, so the builder, the model and
the rules see at most that many values, whatever the text (up to INLINE_MAX_BYTES) holds. Counted
here (composed nodes, built values, second parses), never timed. Whatever it does not accept is
read by `load_text` in the bounded child, which gives the answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml

import schedules.source as source
from schedules.load import INLINE_MAX_BYTES, INLINE_MAX_VALUES, load_small, load_text
from schedules.problems import ScheduleError
from schedules.source import MAX_DEPTH
from tests.schedules.conftest import MEKONG, REPO


@pytest.fixture
def counted(monkeypatch):
    """{'composed': nodes the Python composer made or the check of a tree libyaml composed walked
    (the Python work before building), 'by_libyaml': trees libyaml's composer made, 'built': values
    the builder made (keys are read with their mapping), 'again': nodes built more than once,
    'reread': pure-Python re-reads of a syntax error}, for every read in the test."""
    counts = {"composed": 0, "by_libyaml": 0, "built": 0, "again": 0, "reread": 0}
    seen: set[int] = set()
    compose, build, compose_c = source._BoundedComposer.compose_node, source._Builder._build, source._compose_c

    def composing(self, parent, index):
        counts["composed"] += 1
        return compose(self, parent, index)

    def walking(items, default):  # `_check_tree` takes each node with next()
        item = next(items, default)
        counts["composed"] += item is not None
        return item

    def composing_c(text, max_values):
        counts["by_libyaml"] += 1
        return compose_c(text, max_values)

    def building(self, node, path):
        counts["built"] += 1
        counts["again"] += id(node) in seen
        seen.add(id(node))
        return build(self, node, path)

    class Reread(source._Slow):
        def __init__(self, stream):
            counts["reread"] += 1
            super().__init__(stream)

    monkeypatch.setattr(source._BoundedComposer, "compose_node", composing)
    monkeypatch.setattr(source, "next", walking, raising=False)
    monkeypatch.setattr(source, "_compose_c", composing_c)
    monkeypatch.setattr(source._Builder, "_build", building)
    monkeypatch.setattr(source, "_Slow", Reread)
    return counts


def schedule_with(cues: int) -> str:
    """A valid one-segment schedule with `cues` reminders (the shape of bench B8's events)."""
    start = datetime(2026, 12, 8, 8, tzinfo=UTC)
    end = start + timedelta(hours=8)
    doc = {
        "version": 1,
        "event": {
            "id": "inline",
            "title": "Inline",
            "date": "2026-12-08",
            "timezone": "UTC",
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
        "segments": [{"id": "main", "title": "Main", "start": start.isoformat(), "end": end.isoformat()}],
        "cues": [
            {"id": f"r{i}", "at": (start + timedelta(seconds=i)).isoformat(), "message": "m"} for i in range(cues)
        ],
        "targets": [{"id": "ops", "kind": "webhook", "url_env": "OPS_URL", "secret_env": "OPS_SECRET"}],
        "readiness": {"enabled": False},
    }
    return yaml.safe_dump(doc, sort_keys=False)


def densest(unit: str, head: str = "", tail: str = "") -> str:
    """`head` + `unit` repeated to fill INLINE_MAX_BYTES + `tail`: the most nodes that size can hold."""
    room = INLINE_MAX_BYTES - len(head) - len(tail)
    return head + unit * (room // len(unit)) + tail


@pytest.mark.parametrize(
    "text",
    [
        densest("0,", "v: [", "0]"),  # a flow list of numbers: a node per 2 bytes
        densest("-\n"),  # a block list of empty items: a node per 2 bytes
        densest("[],", "[", "[]]"),  # a list of empty lists
        densest("a: 0\n"),  # a mapping of many keys (duplicates are found only after composing)
    ],
    ids=["flow numbers", "block empties", "empty lists", "many keys"],
)
def test_the_densest_text_allowed_in_process_stops_at_the_node_cap(counted, text):
    assert len(text.encode()) <= INLINE_MAX_BYTES
    assert load_small(text, "dense.yaml") is None  # to the child
    assert counted["composed"] <= INLINE_MAX_VALUES + 1
    assert counted["built"] == 0 and counted["reread"] == 0


def test_the_largest_schedule_read_in_process_is_built_once_per_node(counted):
    one, per_cue = _nodes(schedule_with(1)), _nodes(schedule_with(2)) - _nodes(schedule_with(1))
    fits = 1 + (INLINE_MAX_VALUES - one) // per_cue  # the most cues within the cap
    largest = schedule_with(fits)
    assert _nodes(largest) <= INLINE_MAX_VALUES < _nodes(schedule_with(fits + 1))
    assert len(largest.encode()) <= INLINE_MAX_BYTES  # the cap, not the size, is what stops it
    counted.update(composed=0, built=0, again=0)
    schedule = load_small(largest, "largest.yaml")
    assert schedule is not None and len(schedule.cues) == fits
    # No alias: no node is built twice, so the model and the rules see at most the cap.
    assert counted["again"] == 0 and counted["built"] <= counted["composed"] <= INLINE_MAX_VALUES
    # One cue more is over the cap: the child reads it (and accepts it).
    counted.update(composed=0, built=0)
    assert load_small(schedule_with(fits + 1), "more.yaml") is None
    assert counted["composed"] == INLINE_MAX_VALUES + 1 and counted["built"] == 0
    assert len(load_text(schedule_with(fits + 1), "more.yaml").cues) == fits + 1


def _nodes(text: str) -> int:
    """The nodes in a YAML text (scalars, lists, mappings, aliases), as its parser reports them."""
    return sum(1 for event in yaml.parse(text, Loader=yaml.CSafeLoader) if isinstance(event, yaml.NodeEvent))


def test_an_alias_stops_the_in_process_read_before_it_is_expanded(counted):
    bomb = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    bomb += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    assert load_small("\n".join(bomb) + "\n", "bomb.yaml") is None
    assert counted["composed"] <= 16 and counted["built"] == 0  # stopped at the first alias
    # A merge key needs an alias too: a plain schedule with one goes to the child, which takes it.
    head, second = schedule_with(2).replace("- id: r0\n", "- &first\n  id: r0\n", 1).split("- id: r1\n")
    merged = head + "- id: r1\n" + second.replace("  message: m\n", "  <<: *first\n", 1)
    assert load_small(merged, "merged.yaml") is None
    assert load_text(merged, "merged.yaml").cues[1].message == "m"


def test_deep_nesting_and_syntax_errors_stop_without_a_second_parse(counted):
    deep = "version: 1\nevent: " + "[" * 5000 + "]" * 5000 + "\n"
    assert load_small(deep, "deep.yaml") is None
    assert counted["composed"] <= MAX_DEPTH + 2 and counted["built"] == 0
    broken = schedule_with(3).replace("title: Main", "title: [Main", 1)
    assert load_small(broken, "broken.yaml") is None
    assert counted["reread"] == 0  # the clearer message is the child's work
    with pytest.raises(ScheduleError, match="not valid YAML"):
        load_text(broken, "broken.yaml")
    assert counted["reread"] == 1


def test_over_the_size_nothing_is_composed(counted):
    text = schedule_with(3) + "# " + "x" * INLINE_MAX_BYTES + "\n"
    assert load_small(text, "big.yaml") is None
    assert counted["composed"] == 0
    assert load_text(text, "big.yaml").event.id == "inline"


def test_an_invalid_small_schedule_is_left_to_the_full_reader(counted):
    text = schedule_with(3).replace("end: ", "ends: ", 1)  # the event's end misspelt
    assert load_small(text, "bad.yaml") is None
    with pytest.raises(ScheduleError) as caught:
        load_text(text, "bad.yaml")
    assert caught.value.problems


@pytest.mark.parametrize(
    "path", [MEKONG, *sorted((REPO / "schedules/events/examples").glob("*.yaml"))], ids=lambda p: p.name
)
def test_the_shipped_schedules_are_read_in_process_as_the_full_reader_reads_them(path):
    text = path.read_text(encoding="utf-8")
    assert load_small(text, path.name) == load_text(text, path.name)


def test_a_plain_schedule_is_composed_by_libyaml_then_checked_node_by_node(counted):
    text = schedule_with(20)  # the shape of bench B8's events: no anchor, no alias, shallow
    assert load_small(text, "plain.yaml") == load_text(text, "plain.yaml")
    # The in-process read: libyaml's composer, then the check walks each node once (the full
    # reader's Python composer made the other count).
    assert counted["by_libyaml"] == 1 and counted["composed"] == 2 * _nodes(text)


@pytest.mark.parametrize(
    "text",
    [
        schedule_with(2).replace("- id: r0\n", "- &first\n  id: r0\n", 1),  # an anchor
        schedule_with(2).replace("message: m", "message: '*m*'", 1),  # '*' anywhere, even quoted
        "version: 1\nevent: " + "[" * 300 + "]" * 300 + "\n",  # flow nesting
        "v:\r" + "".join(" " * i + f"k{i}:\r" for i in range(1, 120)),  # block nesting, CR line breaks
        "\ufeff" + "- " * 120 + "x\n",  # compact lists after a byte order mark
    ],
    ids=["anchor", "star", "brackets", "cr indentation", "bom compact lists"],
)
def test_only_text_whose_bounds_are_proven_is_composed_by_libyaml(counted, text):
    load_small(text, "other.yaml")
    assert counted["by_libyaml"] == 0  # the Python composer, with its cap on nesting and aliases


@pytest.mark.parametrize(
    "text",
    [
        "- - - - - - x\n",
        "a:\n- b:\n  - c:\n    - d: [e, {f: [g]}]\n",
        "a:\r  b:\r\n    c:\x85      d: 1\n",
        "\ufeff? - a\n  - b\n: - c\n  - - d\n",
        "a: |\n  - - - text, not nesting\n",
        "x: " + "{a: " * 20 + "1" + "}" * 20 + "\n",
    ],
)
def test_the_nesting_bound_holds(text):
    node = yaml.CSafeLoader(text).get_single_node()

    def depth(node):
        if isinstance(node, yaml.SequenceNode):
            return 1 + max(map(depth, node.value), default=0)
        if isinstance(node, yaml.MappingNode):
            return 1 + max((max(depth(k), depth(v)) for k, v in node.value), default=0)
        return 1

    assert depth(node) <= source._c_nesting_bound(text)


@pytest.mark.parametrize(
    "text",
    [
        densest("0,", "v: [", "0]"),
        densest("a: 0\n"),
        "v: " + "[" * 40 + "]" * 40 + "\n",
        "".join(" " * i + f"k{i}:\n" for i in range(40)),
    ],
    ids=["flow numbers", "many keys", "deep brackets", "deep keys"],
)
def test_the_tree_check_refuses_what_the_composer_refuses_at_the_same_node(text):
    with pytest.raises(source._Limit) as by_python:
        source._compose(text, INLINE_MAX_VALUES, aliases=False, explain=True)  # the Python composer
    with pytest.raises(source._Limit) as by_check:
        source._compose_c(text, INLINE_MAX_VALUES)
    python, check = by_python.value, by_check.value
    assert (check.line, check.column, check.message, check.fix) == (
        python.line,
        python.column,
        python.message,
        python.fix,
    )
