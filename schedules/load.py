"""Load a schedule file: YAML with marks, then the model, then the cross-field rules; every problem at once."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from schedules.i18n import SHIPPED, Catalogs, CatalogSearch
from schedules.limits import SOURCE, fit, too_long
from schedules.model import UNION_TAGS, Schedule
from schedules.problems import Path, Problem, ScheduleError
from schedules.rules import catalog_warnings, check_rules
from schedules.source import MAX_BYTES, Marks, locate, parse_yaml, too_large

__all__ = ["MAX_BYTES", "Marks", "load_file", "load_small", "load_text", "locate", "parse_yaml"]

# An upload this small is parsed where it arrives (the service's event loop) when it is plain:
# at most INLINE_MAX_VALUES YAML nodes, no alias, no problem of any kind. The composer (or, for a
# text that proves its nesting shallow and has no anchor or alias, the check of libyaml's tree)
# stops at the first node past the cap or the first alias, so the Python work is bounded by the
# node count whatever the text holds (tests/schedules/test_inline_bounds.py counts it), and the C
# scanner's by the size. The 20-cue event of bench B8 is about 2 KiB and 190 nodes (1.1 ms of
# CPU to read), the Mekong example 10.5 KiB and 577 nodes (about 6 ms, most of it its rules): the
# cap keeps a schedule of that size in-process and the loop's stall at a few milliseconds
# (docs/reliability.md).
INLINE_MAX_BYTES = 16 * 1024
INLINE_MAX_VALUES = 600


def _pydantic_problems(exc: ValidationError, marks: Marks, file: str) -> list[Problem]:
    from schedules.messages import explain

    problems = []
    for err in exc.errors():
        path = tuple(
            p for p in err["loc"] if not (isinstance(p, str) and (p.startswith("function-") or p in UNION_TAGS))
        )
        message, fix = explain(err, path)  # type: ignore[arg-type]  # pydantic's error dicts
        line, col = locate(marks, path)
        problems.append(Problem(line, col, path, message, fix, file))
    return problems


def check_source(file: str) -> None:
    """Refuse a schedule whose name (its file name, or X-Schedule-Name) is longer than the store keeps."""
    if problem := too_long(file, SOURCE):
        shown = fit(file, 80)
        fix = "rename the file, or send a shorter X-Schedule-Name"
        raise ScheduleError(shown, [Problem(1, 1, (), f"the file's name {problem}", fix, shown)])


def load_text(
    text: str,
    file: str = "<schedule>",
    max_bytes: int = MAX_BYTES,
    catalogs: Catalogs = SHIPPED,
    on_warning: Callable[[Problem], None] | None = None,
) -> Schedule:
    """Parse and fully validate schedule text; raise ScheduleError listing every problem. A target
    in another locale must find every string it needs translated and reviewed in `catalogs`; a
    search with drafts (a rehearsal's preview) lets them through, each told to `on_warning`."""
    data, marks = parse_yaml(text, file, max_bytes)
    if not isinstance(data, dict):
        raise ScheduleError(file, [Problem(1, 1, (), "the top level must be a mapping", "start with `event:`", file)])
    try:
        schedule = Schedule.model_validate(data)
    except ValidationError as exc:
        problems = _pydantic_problems(exc, marks, file)
        repaired, dropped, index_map = _repair(data, exc)
        if repaired is not None:
            problems += _rule_problems(repaired, marks, file, skip=dropped, index_map=index_map, catalogs=catalogs)
        raise ScheduleError(file, problems) from None
    problems = _rule_problems(schedule, marks, file, catalogs=catalogs)
    if problems:
        raise ScheduleError(file, problems)
    if on_warning is not None:
        for path, message, fix in catalog_warnings(schedule, catalogs):
            line, col = locate(marks, path)
            on_warning(Problem(line, col, path, message, fix, file))
    return schedule


def load_small(
    text: str, file: str = "<schedule>", max_bytes: int = MAX_BYTES, catalogs: Catalogs = SHIPPED
) -> Schedule | None:
    """The schedule, if `text` is a small, plain and valid one, read within the inline bounds
    (INLINE_MAX_BYTES, INLINE_MAX_VALUES, no alias); None otherwise, and the caller then reads it
    with `load_text` in a bounded process, which gives every located problem. Never raises for
    the text: whatever would need more work than the bounds allow (a syntax error re-read for its
    message, the repair of an invalid file to find its other problems) is left to that process."""
    limit = min(max_bytes, INLINE_MAX_BYTES)
    if isinstance(catalogs, CatalogSearch) and catalogs.drafts:
        return None  # a rehearsal's preview: the full reader tells each draft (load_text's on_warning)
    if len(text) > limit or len(text.encode("utf-8", "surrogatepass")) > limit:
        return None
    try:
        data, _ = parse_yaml(text, file, limit, max_values=INLINE_MAX_VALUES, aliases=False, explain=False)
    except ScheduleError:
        return None
    if not isinstance(data, dict):
        return None
    try:
        schedule = Schedule.model_validate(data)
    except ValidationError:
        return None
    return None if check_rules(schedule, catalogs) else schedule


def _repair(data: dict, exc: ValidationError, rounds: int = 5):
    """Remove what failed (a bad key, else its list item) so the cross-field rules can still run."""
    data, dropped = copy.deepcopy(data), []
    for _ in range(rounds):
        for err in sorted(exc.errors(), key=lambda e: len(e["loc"]), reverse=True):
            loc = tuple(err["loc"])
            if loc in _PLACEHOLDERS and _put(data, loc, _PLACEHOLDERS[loc]):
                dropped.append(loc)
                continue
            cut = _drop_point(loc, err["type"], dropped)
            if cut and _delete(data, cut):
                dropped.append(cut)
        compacted, index_map = _compact(data, ())
        try:
            return Schedule.model_validate(compacted), [_remap(d, index_map) for d in dropped], index_map
        except ValidationError as again:
            exc = ValidationError.from_exception_data(
                again.title,
                [{**e, "loc": _remap(tuple(e["loc"]), index_map)} for e in again.errors()],  # type: ignore[typeddict-unknown-key]  # pydantic's error dicts
            )
    return None, dropped, {}


# Required fields outside any list cannot be dropped; no rule reads these, so a stand-in lets the
# cross-field rules still report everything else in the same run.
_PLACEHOLDERS: dict[Path, str] = {("event", "id"): "event", ("event", "title"): "event"}


def _put(data: Any, path: Path, value: Any) -> bool:
    *parents, last = path
    for part in parents:
        data = data.get(part) if isinstance(data, dict) else None
    if not isinstance(data, dict):
        return False
    data[last] = value
    return True


def _compact(data: Any, path: Path) -> tuple[Any, dict[Path, list[int]]]:
    """Drop None items from lists; remember each kept item's original index per list path."""
    maps: dict[Path, list[int]] = {}
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            out[key], sub = _compact(value, (*path, key))
            maps.update(sub)
        return out, maps
    if isinstance(data, list):
        kept = [(i, v) for i, v in enumerate(data) if v is not None]
        maps[path] = [i for i, _ in kept]
        items = []
        for old, value in kept:
            item, sub = _compact(value, (*path, old))
            items.append(item)
            maps.update(sub)
        return items, maps
    return data, maps


def _remap(path: Path, index_map: dict[Path, list[int]]) -> Path:
    """Translate a path in the compacted data back to the file's own indexes."""
    out: list = []
    for part in path:
        table = index_map.get(tuple(out))
        out.append(table[part] if isinstance(part, int) and table and part < len(table) else part)
    return tuple(out)


def _drop_point(loc: Path, kind: str, dropped: list[Path]) -> Path | None:
    if kind == "missing" or any(loc[: len(d)] == d for d in dropped):
        loc = loc[:-1] if kind == "missing" else loc
        items = [i for i, part in enumerate(loc) if isinstance(part, int)]
        return loc[: items[-1] + 1] if items else None
    return loc


def _delete(data: Any, path: Path) -> bool:
    *parents, last = path
    for part in parents:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return False
    if isinstance(data, dict) and last in data:
        del data[last]
        return True
    if isinstance(data, list) and isinstance(last, int) and last < len(data):
        data[last] = None  # keep later indexes stable for the paths already reported
        return True
    return False


def _rule_problems(
    schedule: Schedule,
    marks: Marks,
    file: str,
    skip: Sequence[Path] = (),
    index_map: dict | None = None,
    catalogs: Catalogs = SHIPPED,
) -> list[Problem]:
    problems = []
    for path, message, fix in check_rules(schedule, catalogs):
        path = _remap(path, index_map or {})
        if any(path[: len(d)] == d for d in skip):
            continue
        line, col = locate(marks, path)
        problems.append(Problem(line, col, path, message, fix, file))
    return problems


def load_file(path: str | FsPath, max_bytes: int = MAX_BYTES, catalogs: Catalogs = SHIPPED) -> Schedule:
    """Read and validate a schedule file from disk (never more than `max_bytes` of it)."""
    file = str(path)
    try:
        with open(path, "rb") as handle:
            # Read one byte past the limit, so a huge file or a device never fills memory.
            raw = handle.read(max_bytes + 1)
            if len(raw) > max_bytes:
                size = max(FsPath(path).stat().st_size, len(raw))
                raise ScheduleError(file, [too_large(file, size, max_bytes)])
    except FileNotFoundError:
        raise ScheduleError(file, [Problem(0, 0, (), "file not found", "check the path", file)]) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ScheduleError(file, [Problem(0, 0, (), f"cannot read: {reason}", "check the path", file)]) from None
    return load_text(decode_schedule(raw, file), file, max_bytes, catalogs)


def decode_schedule(raw: bytes, file: str) -> str:
    """A schedule's bytes as text: strict UTF-8, or one located problem (the same for a file and an
    upload, so the API refuses what `showcaller validate` refuses, never storing U+FFFD)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = len(raw[raw.rfind(b"\n", 0, exc.start) + 1 : exc.start].decode("utf-8", "replace")) + 1
        message = f"not UTF-8 text (byte 0x{raw[exc.start]:02x} cannot be read)"
        raise ScheduleError(
            file,
            [
                Problem(
                    line,
                    column,
                    (),
                    message,
                    "save it as UTF-8 text (a schedule is a YAML file, not a document or a binary)",
                    file,
                )
            ],
        ) from None
