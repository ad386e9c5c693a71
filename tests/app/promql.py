"""Just enough PromQL to check the documented alert rules against scraped samples.

The shapes docs/alerts.md uses: a selector with label matchers, `increase`/`rate` over a range,
`sum [by (...)]`, `histogram_quantile`, and a comparison with a number. Semantics follow
Prometheus where they matter to an alert: a range function needs two samples of a series inside
the range (a series that appears already incremented shows no increase), comparisons filter, and
a rule fires when its expression returns any series.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

Labels = frozenset[tuple[str, str]]
Vector = dict[Labels, float]
COMPARE = {
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
TOKEN = re.compile(
    r'\s*(?:(?P<duration>\d+[smhd])\b|(?P<number>\d+(?:\.\d+)?)|(?P<string>"(?:[^"\\]|\\.)*")'
    r"|(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)|(?P<op>=~|!~|!=|==|>=|<=|[=><(){}\[\],]))"
)


@dataclass
class Scrapes:
    """Samples scraped at times (seconds), like a Prometheus server's recent history."""

    taken: list[tuple[float, Vector]] = field(default_factory=list)

    def add(self, at: float, *expositions: str) -> None:
        """One scrape at `at` of every instance (each exposition gets its own `instance` label)."""
        vector: Vector = {}
        for number, text in enumerate(expositions):
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    labels = {**sample.labels, "__name__": sample.name}
                    if len(expositions) > 1:
                        labels["instance"] = str(number)
                    vector[frozenset(labels.items())] = sample.value
        self.taken.append((at, vector))


def fires(expr: str, scrapes: Scrapes) -> Vector:
    """The series the expression returns at the last scrape: the alerts that fire (empty: none)."""
    parser = _Parser(expr)
    node = parser.expression()
    if parser.peek() is not None:
        raise ValueError(f"unexpected {parser.peek()!r} in {expr!r}")
    return node(scrapes)


class _Parser:
    def __init__(self, text: str):
        self.tokens: list[tuple[str, str]] = []
        position = 0
        text = text.strip()
        while position < len(text):
            match = TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise ValueError(f"cannot read {text[position:]!r}")
            kind = match.lastgroup
            assert kind is not None
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None, kind: str | None = None) -> str:
        if self.at >= len(self.tokens):
            raise ValueError(f"expected {expected or kind}, found the end")
        token_kind, value = self.tokens[self.at]
        if (expected is not None and value != expected) or (kind is not None and token_kind != kind):
            raise ValueError(f"expected {expected or kind}, found {value!r}")
        self.at += 1
        return value

    def expression(self):
        left = self.term()
        if self.peek() in COMPARE:
            compare, bound = COMPARE[self.take()], float(self.take(kind="number"))
            return lambda s: {k: v for k, v in left(s).items() if not math.isnan(v) and compare(v, bound)}
        return left

    def term(self):
        name = self.take(kind="name")
        if name == "sum":
            by = self.labels() if self.peek() == "by" and self.take("by") else None
            self.take("(")
            inner = self.expression()
            self.take(")")
            return lambda s: _sum(inner(s), by)
        if name in ("increase", "rate"):
            self.take("(")
            select = self.selector(self.take(kind="name"))
            self.take("[")
            duration = self.take(kind="duration")
            seconds = int(duration[:-1]) * UNITS[duration[-1]]
            self.take("]")
            self.take(")")
            return lambda s: _increase(s, select, seconds, per_second=name == "rate")
        if name == "histogram_quantile":
            self.take("(")
            q = float(self.take(kind="number"))
            self.take(",")
            inner = self.expression()
            self.take(")")
            return lambda s: _quantile(q, inner(s))
        select = self.selector(name)
        return lambda s: {_without_name(k): v for k, v in s.taken[-1][1].items() if select(k)}

    def labels(self) -> tuple[str, ...]:
        self.take("(")
        names = [self.take(kind="name")]
        while self.peek() == ",":
            self.take(",")
            names.append(self.take(kind="name"))
        self.take(")")
        return tuple(names)

    def selector(self, metric: str):
        matchers = [("__name__", "=", metric)]
        if self.peek() == "{":
            self.take("{")
            while self.peek() != "}":
                label, op = self.take(kind="name"), self.take()
                matchers.append((label, op, self.take(kind="string")[1:-1]))
                if self.peek() == ",":
                    self.take(",")
            self.take("}")

        def select(labels: Labels) -> bool:
            values = dict(labels)
            for label, op, wanted in matchers:
                value = values.get(label, "")
                if op in ("=", "!=") and (value == wanted) != (op == "="):
                    return False
                if op in ("=~", "!~") and bool(re.fullmatch(wanted, value)) != (op == "=~"):
                    return False
            return True

        return select


def _without_name(labels: Labels) -> Labels:
    return frozenset((k, v) for k, v in labels if k != "__name__")


def _increase(scrapes: Scrapes, select, seconds: int, per_second: bool) -> Vector:
    end = scrapes.taken[-1][0]
    history: dict[Labels, list[float]] = {}
    for at, vector in scrapes.taken:
        if at >= end - seconds:
            for labels, value in vector.items():
                if select(labels):
                    history.setdefault(labels, []).append(value)
    result: Vector = {}
    for labels, values in history.items():
        if len(values) < 2:
            continue  # Prometheus needs two samples in the range
        grown = sum(b - a if b >= a else b for a, b in zip(values, values[1:], strict=False))  # resets
        result[_without_name(labels)] = grown / seconds if per_second else grown
    return result


def _sum(vector: Vector, by: Iterable[str] | None) -> Vector:
    keep = set(by or ())
    result: Vector = {}
    for labels, value in vector.items():
        group = frozenset((k, v) for k, v in labels if k in keep)
        result[group] = result.get(group, 0.0) + value
    return result


def _quantile(q: float, buckets: Vector) -> Vector:
    groups: dict[Labels, list[tuple[float, float]]] = {}
    for labels, count in buckets.items():
        values = dict(labels)
        if "le" in values:
            group = frozenset((k, v) for k, v in labels if k != "le")
            groups.setdefault(group, []).append((float(values["le"]), count))
    result: Vector = {}
    for group, counts in groups.items():
        counts.sort()
        total = counts[-1][1] if counts and math.isinf(counts[-1][0]) else math.nan
        if math.isnan(total) or total == 0:
            result[group] = math.nan
            continue
        rank, lower, below = q * total, 0.0, 0.0
        for upper, count in counts:
            if count >= rank:
                if math.isinf(upper):
                    result[group] = lower
                else:
                    result[group] = lower + (upper - lower) * (rank - below) / (count - below)
                break
            lower, below = upper, count
    return result
