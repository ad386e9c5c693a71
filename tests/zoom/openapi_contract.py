"""Validate requests, responses and webhooks against Zoom's own OpenAPI files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft7Validator, Draft202012Validator

_DROP = {"example", "examples", "x-enum-descriptions", "deprecated", "x-since", "x-deprecated"}


def to_jsonschema(schema: Any) -> Any:
    """Turn an OpenAPI 3.0 schema object into JSON Schema draft 7.

    - `nullable: true` becomes a `null` alternative.
    - Zoom writes some array limits as `maximum` (e.g. panelists `maximum: 30`); JSON Schema
      ignores `maximum` on arrays, so it is translated to `maxItems` to enforce the real limit.
    - Boolean `exclusiveMinimum/Maximum` (3.0 style) become numeric ones.
    """
    if isinstance(schema, list):
        return [to_jsonschema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: to_jsonschema(v) for k, v in schema.items() if k not in _DROP and not k.startswith("x-")}
    if out.get("type") == "array" and "maximum" in out:
        out["maxItems"] = out.pop("maximum")
    for bound, excl in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if isinstance(out.get(excl), bool):
            if out.pop(excl) and bound in out:
                out[excl] = out.pop(bound)
    if out.pop("nullable", False) and "type" in out:
        out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
    if "properties" in out and isinstance(out["properties"], dict):
        out["properties"] = {k: to_jsonschema(v) for k, v in schema["properties"].items()}
    return out


@dataclass
class Operation:
    """One operation of a spec with its compiled path matcher."""

    method: str
    template: str
    regex: re.Pattern[str]
    op: dict[str, Any]

    def param_schema(self, name: str) -> dict[str, Any]:
        for p in self.op.get("parameters", []):
            if p.get("in") == "path" and p.get("name") == name:
                return p.get("schema", {})
        return {}


class OpenApiContract:
    """Finds operations by method + concrete path and validates bodies against them."""

    def __init__(self, *specs: dict[str, Any]) -> None:
        self.ops: list[Operation] = []
        for spec in specs:
            for template, item in spec.get("paths", {}).items():
                pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
                for method, op in item.items():
                    if method in ("get", "post", "put", "patch", "delete"):
                        self.ops.append(Operation(method.upper(), template, re.compile(pattern), op))
        # Literal segments win over parameters (e.g. /users/me vs /users/{userId}).
        self.ops.sort(key=lambda o: o.template.count("{"))

    def find(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        """The operation serving `method path` (path relative to the API base)."""
        for o in self.ops:
            if o.method == method.upper() and (m := o.regex.match(path)):
                return o, m.groupdict()
        raise AssertionError(f"no operation in the spec for {method} {path}")

    def check_path_params(self, o: Operation, params: dict[str, str]) -> None:
        """Integer-typed path parameters must be digits.

        Known spec quirk: GET /webinars/{webinarId} types the id as string while the other
        webinar operations use int64; both accept our 11-digit ids.
        """
        for name, value in params.items():
            if o.param_schema(name).get("type") == "integer":
                assert value.isdigit(), f"{o.template}: {name}={value!r} should be an integer"

    def validate_request(self, method: str, path: str, body: Any) -> Operation:
        """Validate a request body against the operation's requestBody schema."""
        o, params = self.find(method, path)
        self.check_path_params(o, params)
        content = o.op.get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema is None:
            assert body in (None, b"", ""), f"{method} {path} takes no body but got one"
        else:
            Draft7Validator(to_jsonschema(schema)).validate(body)
        return o

    def validate_response(self, method: str, path: str, status: int, body: Any) -> Operation:
        """Validate a response body against the schema listed for its status."""
        o, _ = self.find(method, path)
        responses = o.op.get("responses", {})
        assert str(status) in responses, f"{method} {o.template}: status {status} not in spec"
        schema = responses[str(status)].get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            assert body in (None, b"", ""), f"{method} {o.template} {status} should have no body"
        else:
            Draft7Validator(to_jsonschema(_branch(schema, body))).validate(body)
        return o


def _branch(schema: dict[str, Any], body: Any) -> dict[str, Any]:
    """The `oneOf` branch a body is meant for.

    Known spec quirk: GET /users/{userId}/settings answers `oneOf` three objects that require
    nothing and allow extra keys, so every body matches all three and `oneOf` always fails. The
    branch is chosen by the body's keys (the one whose properties hold them all) and enforced.
    """
    branches = schema.get("oneOf")
    if not branches or not isinstance(body, dict):
        return schema
    fitting = [b for b in branches if set(body) <= set(b.get("properties", {}))]
    assert fitting, f"no oneOf branch has all of {sorted(body)}"
    return fitting[0]


def validate_webhook(events_spec: dict[str, Any], payload: dict[str, Any]) -> None:
    """Validate a webhook payload against the OpenAPI 3.1 `webhooks` entry for its event."""
    entry = events_spec["webhooks"].get(payload["event"])
    assert entry is not None, f"event {payload['event']} not in the events spec"
    schema = entry["post"]["requestBody"]["content"]["application/json"]["schema"]
    Draft202012Validator(schema).validate(payload)
