"""A small evaluator for the subset of Sigma the estate's hub rules use.

Detection rules: named selections (a map = all fields match; a list of maps = any map
matches), field modifiers ``contains``, ``startswith``, ``endswith``, ``re``, ``exists``,
``fieldref`` and ``all``; conditions with ``and``/``or``/``not``, parentheses and
``1 of x*`` / ``all of x*`` / ``them``. Correlation rules: ``event_count`` with
``group-by``, ``timespan`` and a ``gte``/``gt``/``lte``/``lt``/``eq`` condition.

Field names are dotted paths into the event. A key that itself contains dots (a label
such as ``app.kubernetes.io/name``) is found by trying the longest key first. Matching
follows Sigma: strings compare case-insensitively (except ``re``), a list in the event
matches if any element does, a list of expected values matches if any does (all with
``|all``).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

MISSING = object()
MODIFIERS = {"contains", "startswith", "endswith", "re", "exists", "fieldref", "all"}
LEVELS = {"informational", "low", "medium", "high", "critical"}
STATUSES = {"stable", "test", "experimental", "deprecated", "unsupported"}


class SigmaError(ValueError):
    pass


# ---- fields ---------------------------------------------------------------------------


def get_field(event: Any, path: str) -> Any:
    return _resolve(event, path.split("."))


def _resolve(obj: Any, parts: list[str]) -> Any:
    if not parts:
        return obj
    if not isinstance(obj, Mapping):
        return MISSING
    for i in range(len(parts), 0, -1):
        key = ".".join(parts[:i])
        if key in obj:
            found = _resolve(obj[key], parts[i:])
            if found is not MISSING:
                return found
    return MISSING


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _scalar_match(actual: Any, expected: Any, modifier: str | None) -> bool:
    if actual is None or isinstance(actual, (dict, list)):
        return expected is None and actual is None
    if expected is None:
        return False
    a, e = str(actual), str(expected)
    if isinstance(actual, bool) or isinstance(expected, bool):
        a, e = a.lower(), e.lower()
    if modifier == "re":
        return re.search(e, a) is not None
    a, e = a.lower(), e.lower()
    if modifier == "contains":
        return e in a
    if modifier == "startswith":
        return a.startswith(e)
    if modifier == "endswith":
        return a.endswith(e)
    return a == e


def field_matches(event: Any, spec: str, expected: Any) -> bool:
    name, *mods = spec.split("|")
    unknown = set(mods) - MODIFIERS
    if unknown:
        raise SigmaError(f"unsupported modifier(s) {sorted(unknown)} in {spec!r}")
    actual = get_field(event, name)
    if "exists" in mods:
        return (actual is not MISSING and actual is not None) == bool(expected)
    if "fieldref" in mods:
        other = get_field(event, str(expected))
        if actual is MISSING or other is MISSING:
            return False
        return any(_scalar_match(a, o, None) for a in _as_list(actual) for o in _as_list(other))
    match_mod = next((m for m in mods if m in {"contains", "startswith", "endswith", "re"}), None)
    expected_values = _as_list(expected)
    if actual is MISSING:
        return any(e is None for e in expected_values)
    actual_values = _as_list(actual)

    def one(e: Any) -> bool:
        return any(_scalar_match(a, e, match_mod) for a in actual_values)

    return all(one(e) for e in expected_values) if "all" in mods else any(one(e) for e in expected_values)


def selection_matches(event: Any, selection: Any) -> bool:
    if isinstance(selection, Mapping):
        return all(field_matches(event, spec, expected) for spec, expected in selection.items())
    if isinstance(selection, list) and all(isinstance(s, Mapping) for s in selection):
        return any(selection_matches(event, s) for s in selection)
    raise SigmaError(f"unsupported selection {selection!r} (keyword lists are not in the subset)")


# ---- conditions ------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(\(|\)|[A-Za-z0-9_*]+)")


def _tokens(condition: str) -> list[str]:
    pos, out = 0, []
    condition = condition.strip()
    while pos < len(condition):
        m = _TOKEN.match(condition, pos)
        if not m:
            raise SigmaError(f"cannot parse condition at {condition[pos:]!r}")
        out.append(m.group(1))
        pos = m.end()
        while pos < len(condition) and condition[pos].isspace():
            pos += 1
    return out


class _Condition:
    def __init__(self, condition: str, names: Iterable[str]):
        self.tokens = _tokens(condition)
        self.names = list(names)
        self.pos = 0
        self.used: set[str] = set()
        self.tree = self._or()
        if self.pos != len(self.tokens):
            raise SigmaError(f"trailing tokens in condition {condition!r}")

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            raise SigmaError("condition ends early")
        self.pos += 1
        return token

    def _or(self):
        node = self._and()
        while self._peek() == "or":
            self._take()
            node = ("or", node, self._and())
        return node

    def _and(self):
        node = self._not()
        while self._peek() == "and":
            self._take()
            node = ("and", node, self._not())
        return node

    def _not(self):
        if self._peek() == "not":
            self._take()
            return ("not", self._not())
        return self._atom()

    def _expand(self, pattern: str) -> list[str]:
        if pattern == "them":
            found = list(self.names)
        else:
            rx = re.compile("^" + re.escape(pattern).replace(r"\*", ".*") + "$")
            found = [n for n in self.names if rx.match(n)]
        if not found:
            raise SigmaError(f"{pattern!r} matches no selection")
        return found

    def _atom(self):
        token = self._take()
        if token == "(":
            node = self._or()
            if self._take() != ")":
                raise SigmaError("missing )")
            return node
        if token in ("1", "all") and self._peek() == "of":
            self._take()
            names = self._expand(self._take())
            self.used.update(names)
            return ("any" if token == "1" else "all", names)
        if token not in self.names:
            raise SigmaError(f"condition names undefined selection {token!r}")
        self.used.add(token)
        return ("sel", token)


def _evaluate(node, event, detection) -> bool:
    kind = node[0]
    if kind == "sel":
        return selection_matches(event, detection[node[1]])
    if kind == "not":
        return not _evaluate(node[1], event, detection)
    if kind == "and":
        return _evaluate(node[1], event, detection) and _evaluate(node[2], event, detection)
    if kind == "or":
        return _evaluate(node[1], event, detection) or _evaluate(node[2], event, detection)
    results = [selection_matches(event, detection[n]) for n in node[1]]
    return any(results) if kind == "any" else all(results)


def parse_condition(rule: Mapping[str, Any]) -> _Condition:
    detection = rule["detection"]
    names = [k for k in detection if k != "condition"]
    return _Condition(detection["condition"], names)


def matches(rule: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    condition = parse_condition(rule)
    return _evaluate(condition.tree, event, rule["detection"])


# ---- correlation -----------------------------------------------------------------------

_SPAN = re.compile(r"^(\d+)([smhd])$")


def timespan(text: str) -> dt.timedelta:
    m = _SPAN.match(text)
    if not m:
        raise SigmaError(f"bad timespan {text!r}")
    n, unit = int(m.group(1)), m.group(2)
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
    return dt.timedelta(**{units[unit]: n})


def _when(event: Mapping[str, Any]) -> dt.datetime:
    value = event.get("@timestamp") or event.get("timestamp")
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _compare(count: int, condition: Mapping[str, int]) -> bool:
    ops = {"gte": count.__ge__, "gt": count.__gt__, "lte": count.__le__, "lt": count.__lt__, "eq": count.__eq__}
    return all(ops[op](value) for op, value in condition.items())


def correlate(correlation_rule: Mapping[str, Any], rules_by_name: Mapping[str, Mapping[str, Any]],
              events: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """Groups (by ``group-by`` values) for which an ``event_count`` window fires."""
    spec = correlation_rule["correlation"]
    if spec["type"] != "event_count":
        raise SigmaError(f"correlation type {spec['type']!r} is not in the subset")
    base = [rules_by_name[name] for name in spec["rules"]]
    window = timespan(spec["timespan"])
    groups: dict[tuple[Any, ...], list[dt.datetime]] = {}
    for event in events:
        if any(matches(rule, event) for rule in base):
            key = tuple(str(get_field(event, f)) for f in spec["group-by"])
            groups.setdefault(key, []).append(_when(event))
    fired = []
    for key, times in groups.items():
        times.sort()
        start = 0
        for end in range(len(times)):
            while times[end] - times[start] > window:
                start += 1
            if _compare(end - start + 1, spec["condition"]):
                fired.append(key)
                break
    return fired


# ---- lint ------------------------------------------------------------------------------


def lint(rule: Mapping[str, Any]) -> list[str]:
    """Problems with a rule's structure (empty when it is valid for the hub)."""
    problems = []
    for key in ("title", "name", "id", "status", "description", "author", "date", "level", "tags"):
        if not rule.get(key):
            problems.append(f"missing {key}")
    try:
        uuid.UUID(str(rule.get("id")))
    except ValueError:
        problems.append("id is not a UUID")
    if rule.get("status") not in STATUSES:
        problems.append(f"status {rule.get('status')!r} unknown")
    if rule.get("level") not in LEVELS:
        problems.append(f"level {rule.get('level')!r} unknown")
    for tag in rule.get("tags") or []:
        if not re.match(r"^[a-z0-9_-]+\.[a-z0-9._-]+$", tag):
            problems.append(f"tag {tag!r} is not namespace.value")
    if "correlation" in rule:
        spec = rule["correlation"]
        for key in ("type", "rules", "group-by", "timespan", "condition"):
            if key not in spec:
                problems.append(f"correlation lacks {key}")
        return problems
    if not isinstance(rule.get("logsource"), Mapping):
        problems.append("missing logsource")
    detection = rule.get("detection")
    if not isinstance(detection, Mapping) or "condition" not in detection:
        return problems + ["missing detection.condition"]
    try:
        condition = parse_condition(rule)
        unused = set(detection) - {"condition"} - condition.used
        if unused:
            problems.append(f"selections never used: {sorted(unused)}")
        for name, selection in detection.items():
            if name == "condition":
                continue
            for mapping in selection if isinstance(selection, list) else [selection]:
                for spec in mapping:
                    unknown = set(spec.split("|")[1:]) - MODIFIERS
                    if unknown:
                        problems.append(f"{name}: unsupported modifier(s) {sorted(unknown)}")
    except SigmaError as failure:
        problems.append(str(failure))
    return problems
