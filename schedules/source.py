"""Read schedule YAML into plain data, keeping each field's line and column for error messages."""

from __future__ import annotations

import itertools
import re
from typing import Any

import yaml

from schedules.durations import YamlNumber
from schedules.problems import Path, Problem, ScheduleError

Marks = dict[Path, tuple[int, int]]
_SYNTAX_FIX = "check indentation, colons and quotes around this line"
_MERGE = "tag:yaml.org,2002:merge"
_INT = "tag:yaml.org,2002:int"

MAX_BYTES = 1024 * 1024
# A schedule nests about six levels deep; the cap keeps the recursive composer far from Python's limit.
MAX_DEPTH = 32
# Aliases (*name) may repeat this many values in all: enough for merge keys, far too few for a "billion laughs".
MAX_ALIAS_VALUES = 10_000
# The Mekong file holds about 600 values; this bounds the time and memory of everything after parsing.
MAX_VALUES = 20_000
# What PostgreSQL or YAML cannot store: C0 controls except tab and line breaks, DEL, C1 (but NEL), surrogates.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_NAMES = {0: "NUL", 7: "BEL", 8: "backspace", 0x0B: "vertical tab", 0x0C: "form feed", 0x1B: "ESC", 0x7F: "DEL"}
_CONTROL_FIX = "remove it: only tab and newline are allowed (is this a text file?)"


def char_name(char: str) -> str:
    """'U+0000 (NUL)': how a refused character is named in a message."""
    code = ord(char)
    name = _NAMES.get(code, "a control character" if code < 0xA0 else "not a character")
    return f"U+{code:04X} ({name})"


class _Limit(Exception):
    """A bound was exceeded while reading; carries the located problem."""

    def __init__(self, mark: yaml.Mark | None, message: str, fix: str):
        super().__init__(message)
        self.line, self.column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        self.message, self.fix = message, fix


def _too_many(mark: yaml.Mark | None, max_values: int) -> _Limit:
    return _Limit(
        mark, f"the file holds more than {max_values:,} values", "a schedule is far smaller: is this the right file?"
    )


def _too_deep(mark: yaml.Mark | None) -> _Limit:
    return _Limit(
        mark,
        f"nested more than {MAX_DEPTH} levels deep",
        "a schedule needs only a few levels; check the indentation and brackets",
    )


class _BoundedComposer(yaml.composer.Composer):
    """PyYAML's composer with a nesting cap (the recursive part; the scanner and parser are iterative)."""

    depth = 0
    count = 0
    # Set per loader by `_compose`: the most nodes it composes, and whether an alias may be read.
    max_values = MAX_VALUES
    aliases = True

    def compose_node(self, parent, index):
        self.depth += 1
        self.count += 1
        try:
            if self.count > self.max_values:
                raise _too_many(self.peek_event().start_mark, self.max_values)  # type: ignore[attr-defined]  # PyYAML's mixin classes
            if not self.aliases and self.check_event(yaml.AliasEvent):  # type: ignore[attr-defined]  # PyYAML's mixin classes
                raise _Limit(
                    self.peek_event().start_mark,  # type: ignore[attr-defined]  # PyYAML's mixin classes
                    "an alias (*name) is not read here",
                    "write the value out instead of repeating it with an alias",
                )
            if self.depth > MAX_DEPTH:
                raise _too_deep(self.peek_event().start_mark)  # type: ignore[attr-defined]  # PyYAML's mixin classes
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Slow(_BoundedComposer, yaml.SafeLoader):
    """The pure-Python loader with the nesting cap: its syntax messages are the clearer ones."""


if getattr(yaml, "__with_libyaml__", False):
    import yaml._yaml as _yaml

    class _Fast(_BoundedComposer, _yaml.CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """libyaml's parser (about ten times faster) under the same Python composer and cap."""

        def __init__(self, stream):
            _yaml.CParser.__init__(self, stream)
            _BoundedComposer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
else:  # pragma: no cover - libyaml ships in PyYAML's wheels
    _Fast = _Slow  # type: ignore[assignment, misc]  # PyYAML's mixin classes

# Below this size a syntax error is re-read by the pure-Python parser for its clearer message.
_EXPLAIN_BELOW = 64 * 1024

# libyaml's own composer (yaml.CSafeLoader) makes the same tree in about 40% of the Python
# composer's time, but it recurses in C with no cap and no node count. It is used only where the
# text proves its bounds first (`_c_nesting_bound`): no anchor or alias (neither '&' nor '*'
# anywhere), and nesting that cannot reach _C_NESTING_MAX; `_check_tree` then applies the node
# count and MAX_DEPTH to the tree, in the composer's order and with its messages.
_C_NESTING_MAX = 200
# A block collection starts at a line's indicators and indentation (`- `, `? `, `: `) or at the
# first character after them (a key); any YAML line break or BOM begins such a run.
_LINE_LEAD = re.compile(r"(?:\A|(?<=[\n\r\x85\u2028\u2029]))[ \t?:\ufeff-]*")


def _c_nesting_bound(text: str) -> int:
    """An upper bound on how deep the nodes of `text` nest. A block collection nested in another
    starts further right, except a list that is a mapping's value, which may start in the same
    column: so block nesting is at most 2 x (the widest line lead + 1). Flow collections ('[', '{')
    nest only flow ones, at most one per bracket. One more for the scalars, one for the document."""
    lead = max(map(len, _LINE_LEAD.findall(text)), default=0)
    return 2 * (lead + 1) + text.count("[") + text.count("{") + 2


def _check_tree(node: yaml.Node, max_values: int) -> None:
    """The bounded composer's checks on a composed tree, in its (depth-first) order: the first node
    past `max_values` or nested past MAX_DEPTH is refused, and the walk stops there, so its work is
    bounded by the count whatever the tree holds."""
    stack = [iter((node,))]
    count = 0
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        count += 1
        if count > max_values:
            raise _too_many(child.start_mark, max_values)
        if len(stack) > MAX_DEPTH:
            raise _too_deep(child.start_mark)
        if isinstance(child, yaml.SequenceNode):
            stack.append(iter(child.value))
        elif isinstance(child, yaml.MappingNode):
            stack.append(itertools.chain.from_iterable(child.value))


def _compose_c(text: str, max_values: int) -> yaml.Node | None:
    """The tree by libyaml's composer, for a text whose bounds `_c_nesting_bound` proved."""
    loader = yaml.CSafeLoader(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    if node is not None:
        _check_tree(node, max_values)
    return node


def _c_composable(text: str, aliases: bool, explain: bool) -> bool:
    """Whether libyaml's composer may read `text`: only where no alias is read and a syntax error
    is not explained (the in-process read, which hands every problem to the full reader), with no
    anchor or alias in the text and its nesting bounded."""
    return (
        _C_COMPOSER
        and not aliases
        and not explain
        and "&" not in text
        and "*" not in text
        and _c_nesting_bound(text) <= _C_NESTING_MAX
    )


_C_COMPOSER = bool(getattr(yaml, "__with_libyaml__", False))


def _compose(text: str, max_values: int = MAX_VALUES, aliases: bool = True, explain: bool = True):
    if _c_composable(text, aliases, explain):
        return _compose_c(text, max_values)
    loader = _Fast(text)
    loader.max_values, loader.aliases = max_values, aliases
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError:
        if not explain or len(text) > _EXPLAIN_BELOW or _Fast is _Slow:
            raise
    finally:
        loader.dispose()
    slow = _Slow(text)
    slow.max_values, slow.aliases = max_values, aliases
    try:
        return slow.get_single_node()
    finally:
        slow.dispose()


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _kind(value: Any) -> str:
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    return "a list" if isinstance(value, list) else f"a {type(value).__name__}"


class _Builder:
    """Builds plain data from a node tree, noting marks and every problem the loader would hide."""

    def __init__(self, file: str):
        self.file = file
        self.marks: Marks = {}
        self.problems: list[Problem] = []
        self.loader = yaml.SafeLoader("")
        self.built: set[int] = set()
        self.open: set[int] = set()
        self.repeated = 0
        self.inside_alias = 0

    def problem(self, node: yaml.Node, path: Path, message: str, fix: str) -> None:
        self.problems.append(Problem(*_mark(node), path, message, fix, self.file))

    def build(self, node: yaml.Node, path: Path) -> Any:
        if id(node) in self.open:
            raise _Limit(
                node.start_mark,
                "an alias (*name) refers to the value that contains it",
                "a schedule cannot contain itself; write the value out",
            )
        again = id(node) in self.built
        self.built.add(id(node))
        self.inside_alias += again
        self.open.add(id(node))
        try:
            return self._build(node, path)
        finally:
            self.open.discard(id(node))
            self.inside_alias -= again

    def _build(self, node: yaml.Node, path: Path) -> Any:
        if self.inside_alias:
            self.repeated += 1
            if self.repeated > MAX_ALIAS_VALUES:
                raise _Limit(
                    node.start_mark,
                    f"aliases (*name) repeat more than {MAX_ALIAS_VALUES:,} values",
                    "write the values out instead of repeating them with aliases",
                )
        if len(path) > MAX_DEPTH:
            raise _too_deep(node.start_mark)
        self.marks[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _scalar(self, node: yaml.Node, path: Path) -> Any:
        if node.tag == _INT and ":" in node.value and not node.style:  # type: ignore[attr-defined]  # plain: None, or "" from libyaml
            return YamlNumber(node.value)
        try:
            value = self.loader.construct_object(node, deep=True)
            if isinstance(value, str) and (bad := FORBIDDEN.search(value)):
                # Escapes in double quotes ("\0", "\x07") produce what the raw-text scan cannot see.
                self.problem(node, path, f"the text contains {char_name(bad.group())}", _CONTROL_FIX)
                return None
            return value
        except yaml.MarkedYAMLError as exc:
            fix = "remove the !tag or quote the value"
            self.problem(node, path, f"cannot read this value: {exc.problem}", fix)
        except ValueError as exc:
            # PyYAML reads 2024-13-45 as a date and fails; say so instead of crashing.
            fix = "write a real date as YYYY-MM-DD" if node.tag.endswith(":timestamp") else "correct it or quote it"
            self.problem(node, path, f"'{node.value}' is not a valid value ({exc})", fix)
        return None

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        explicit = {id(key) for key, _ in node.value if key.tag != _MERGE}
        try:
            self.loader.flatten_mapping(node)  # `<<: *defaults` merge keys, as yaml.safe_load does
        except yaml.MarkedYAMLError as exc:
            self.problem(node, path, f"cannot merge: {exc.problem}", "merge (<<) only mappings")
        out: dict[Any, Any] = {}
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            before = len(self.problems)
            key = self._scalar(key_node, path) if isinstance(key_node, yaml.ScalarNode) else None
            if len(self.problems) > before:
                continue
            if not isinstance(key, str):
                what = (
                    f"key '{key_node.value}' is {_kind(key)}, not a field name"
                    if isinstance(key_node, yaml.ScalarNode)
                    else "a list or mapping cannot be a key"
                )
                self.problem(key_node, path, what, "keys are field names: check spelling and indentation")
                continue
            if id(key_node) in explicit:
                if key in seen:
                    self.problem(
                        key_node,
                        (*path, key),
                        f"duplicate key '{key}' (first at line {seen[key]})",
                        "keep only one; YAML would silently use the last",
                    )
                seen.setdefault(key, _mark(key_node)[0])
            out[key] = self.build(value_node, (*path, key))
            self.marks[(*path, key)] = _mark(key_node)
        return out


def check_text(text: str, file: str, max_bytes: int = MAX_BYTES) -> None:
    """Refuse text that is too large or holds characters no store accepts, before any parsing."""
    size = len(text) if len(text) > max_bytes else len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise ScheduleError(file, [too_large(file, size, max_bytes)])
    bad = FORBIDDEN.search(text)
    if bad is None:
        return
    pos = bad.start()
    line = text.count("\n", 0, pos) + 1
    column = pos - text.rfind("\n", 0, pos)
    more = sum(1 for _ in FORBIDDEN.finditer(text)) - 1
    others = f" ({more:,} more in the file)" if more else ""
    problem = Problem(line, column, (), f"{char_name(bad.group())} is not allowed{others}", _CONTROL_FIX, file)
    raise ScheduleError(file, [problem])


def _tab_at(text: str, line: int) -> bool:
    """Whether a syntax error's line (or the one before it) is indented with a tab."""
    lines = text.splitlines()
    near = lines[max(0, line - 2) : line]
    return any("\t" in row[: len(row) - len(row.lstrip())] for row in near)


def too_large(file: str, size: int, max_bytes: int) -> Problem:
    """The problem for a file over the size limit."""
    return Problem(
        1,
        1,
        (),
        f"the file is {size:,} bytes; schedules may be at most {max_bytes:,}",
        "a schedule is a few kilobytes: is this the right file? (the limit is the max_schedule_bytes setting)",
        file,
    )


def parse_yaml(
    text: str,
    file: str,
    max_bytes: int = MAX_BYTES,
    *,
    max_values: int = MAX_VALUES,
    aliases: bool = True,
    explain: bool = True,
) -> tuple[Any, Marks]:
    """YAML text -> plain data plus a map from field path to (line, column), within bounded size and depth.

    `max_values` caps the nodes composed; without `aliases` the first alias is refused, so every
    node is built once and the work after the C scanner is at most `max_values` nodes;
    without `explain` a syntax error is not read again by the slower pure-Python parser."""
    check_text(text, file, max_bytes)
    try:
        node = _compose(text, max_values, aliases, explain)
    except _Limit as exc:
        raise ScheduleError(file, [Problem(exc.line, exc.column, (), exc.message, exc.fix, file)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if _tab_at(text, line):
            problem = Problem(
                line,
                col,
                (),
                "a tab is used for indentation here; YAML allows only spaces",
                "use spaces to indent (set your editor to insert spaces for the Tab key)",
                file,
            )
            raise ScheduleError(file, [problem]) from None
        where = exc.context_mark
        context = f" ({exc.context} at line {where.line + 1})" if exc.context and where else ""
        problem = Problem(line, col, (), f"not valid YAML: {exc.problem}{context}", _SYNTAX_FIX, file)
        raise ScheduleError(file, [problem]) from None
    if node is None:
        fix = "start from an example in schedules/events/"
        raise ScheduleError(file, [Problem(1, 1, (), "the file is empty", fix, file)])
    builder = _Builder(file)
    try:
        data = builder.build(node, ())
    except _Limit as exc:
        raise ScheduleError(file, [Problem(exc.line, exc.column, (), exc.message, exc.fix, file)]) from None
    if builder.problems:
        raise ScheduleError(file, builder.problems)
    return data, builder.marks


def locate(marks: Marks, path: Path) -> tuple[int, int]:
    """The closest known mark for a path (falls back to the nearest parent)."""
    for cut in range(len(path), -1, -1):
        if path[:cut] in marks:
            return marks[path[:cut]]
    return (1, 1)
