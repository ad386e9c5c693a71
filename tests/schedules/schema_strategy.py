"""Hypothesis strategies for documents described by a JSON Schema (the subset schedule.schema.json
uses: $ref, type, enum, const, anyOf/oneOf, properties/required, items, pattern, bounds).

hypothesis-jsonschema 0.23 no longer works with current Hypothesis (it relies on internals that
changed), so the schedule schema gets this small generator instead.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

_TEXT = st.text(max_size=20)
_JSON_LEAF = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=False) | _TEXT


def from_schema(schema: dict[str, Any], *, max_depth: int = 6) -> st.SearchStrategy[Any]:
    """Values that (mostly) match `schema`; optional keys are included at random."""
    defs = schema.get("$defs", {})

    def build(node: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
        if depth > max_depth:
            return _JSON_LEAF
        if "$ref" in node:
            return st.deferred(lambda: build(defs[node["$ref"].rsplit("/", 1)[-1]], depth + 1))
        if "const" in node:
            return st.just(node["const"])
        if "enum" in node:
            return st.sampled_from(node["enum"])
        for key in ("anyOf", "oneOf"):
            if key in node:
                options = [
                    build({**{k: v for k, v in node.items() if k != key}, **option}, depth + 1) for option in node[key]
                ]
                return st.one_of(options)
        kind = node.get("type")
        if isinstance(kind, list):
            return st.one_of([build({**node, "type": k}, depth) for k in kind])
        if kind == "object" or "properties" in node:
            return _object(node, depth)
        if kind == "array":
            items = build(node.get("items", {}), depth + 1)
            return st.lists(items, min_size=node.get("minItems", 0), max_size=min(node.get("maxItems", 4), 4))
        if kind == "string":
            if "pattern" in node:
                return st.from_regex(node["pattern"], fullmatch=True)
            if node.get("format") == "date":
                return st.dates().map(str)
            if node.get("format") == "date-time":
                return st.datetimes(timezones=st.none()).map(lambda d: d.isoformat())
            if node.get("format") == "email":
                return st.sampled_from(["a@example.org", "b.c@example.org", "not-an-email"])
            return st.text(min_size=node.get("minLength", 0), max_size=min(node.get("maxLength", 30), 30))
        if kind == "integer":
            return st.integers(node.get("minimum", -(10**9)), node.get("maximum", 10**9))
        if kind == "number":
            return st.floats(node.get("minimum"), node.get("maximum"), allow_nan=False, allow_infinity=False)
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        return _JSON_LEAF

    def _object(node: dict[str, Any], depth: int) -> st.SearchStrategy[dict]:
        properties = node.get("properties", {})
        required = set(node.get("required", []))

        @st.composite
        def draw_object(draw) -> dict:
            out = {}
            for name, sub in properties.items():
                if name in required or draw(st.booleans()):
                    out[name] = draw(build(sub, depth + 1))
            return out

        return draw_object()

    return build(schema, 0)
