"""Read schedule YAML into plain data, keeping each field's line and column for error messages."""

from __future__ import annotations

from typing import Any

import yaml

from schedules.problems import Path, Problem, ScheduleError

Marks = dict[Path, tuple[int, int]]
_SYNTAX_FIX = "check indentation, colons and quotes around this line"
_MERGE = "tag:yaml.org,2002:merge"


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

    def problem(self, node: yaml.Node, path: Path, message: str, fix: str) -> None:
        self.problems.append(Problem(*_mark(node), path, message, fix, self.file))

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.marks[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _scalar(self, node: yaml.Node, path: Path) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            fix = "remove the !tag or quote the value"
            self.problem(node, path, f"cannot read this value: {exc.problem}", fix)
        except ValueError as exc:
            # PyYAML reads 2024-13-45 as a date and fails; say so instead of crashing.
            fix = (
                "write a real date as YYYY-MM-DD"
                if node.tag.endswith(":timestamp")
                else "correct it or quote it"
            )
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
                self.problem(
                    key_node, path, what, "keys are field names: check spelling and indentation"
                )
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


def parse_yaml(text: str, file: str) -> tuple[Any, Marks]:
    """YAML text -> plain data plus a map from field path to (line, column)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        where = exc.context_mark
        context = f" ({exc.context} at line {where.line + 1})" if exc.context and where else ""
        problem = Problem(
            line, col, (), f"not valid YAML: {exc.problem}{context}", _SYNTAX_FIX, file
        )
        raise ScheduleError(file, [problem]) from None
    finally:
        loader.dispose()
    if node is None:
        fix = "start from an example in schedules/events/"
        raise ScheduleError(file, [Problem(1, 1, (), "the file is empty", fix, file)])
    builder = _Builder(file)
    data = builder.build(node, ())
    if builder.problems:
        raise ScheduleError(file, builder.problems)
    return data, builder.marks


def locate(marks: Marks, path: Path) -> tuple[int, int]:
    """The closest known mark for a path (falls back to the nearest parent)."""
    for cut in range(len(path), -1, -1):
        if path[:cut] in marks:
            return marks[path[:cut]]
    return (1, 1)
