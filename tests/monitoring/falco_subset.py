"""A small parser and evaluator for the subset of Falco's rule language the estate uses.

Supported: ``and``/``or``/``not``, parentheses, macros (by name), comparisons with
``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``startswith``, ``endswith``, ``contains``,
``in (...)`` (items: bare words, quoted strings, numbers and list names, expanded
recursively), and ``exists``. ``fd.snet``/``fd.cnet`` with ``in`` test CIDR membership,
as Falco does. Fields must be in :data:`KNOWN_FIELDS` (real Falco fields), so a typo in
a field name fails validation instead of silently never matching.

An event is a flat dict of field -> value (``k8s.pod.label[app.kubernetes.io/name]``
is one key).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

#: Falco fields the estate's rules may use (condition and output).
KNOWN_FIELDS = {
    "evt.type", "evt.dir", "evt.res",
    "proc.name", "proc.pname", "proc.cmdline", "proc.vpid", "proc.exepath",
    "user.name", "user.uid",
    "container.id", "container.image.repository", "container.name",
    "k8s.ns.name", "k8s.pod.name",
    "fd.l4proto", "fd.sport", "fd.cport", "fd.sip", "fd.cip", "fd.snet", "fd.cnet", "fd.name",
}
KNOWN_ARG_FIELDS = {"k8s.pod.label", "k8smeta.ns.label", "k8smeta.pod.label"}
CIDR_FIELDS = {"fd.snet", "fd.cnet"}
OPERATORS = {"=", "!=", "<", "<=", ">", ">=", "startswith", "endswith", "contains", "in", "exists"}
PRIORITIES = {"EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFORMATIONAL", "INFO", "DEBUG"}

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|<=|>=|=|<|>|\(|\)|,)
      | (?P<word>[A-Za-z0-9_./:\-]+(?:\[[^\]]*\])?)
    )""",
    re.VERBOSE,
)


class FalcoError(ValueError):
    pass


def tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FalcoError(f"cannot tokenise {text[pos:]!r}")
        kind = m.lastgroup
        value = m.group(kind)
        out.append((kind, value[1:-1] if kind == "str" else value))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def field_name(word: str) -> str:
    return word.split("[", 1)[0]


def is_field(word: str) -> bool:
    name = field_name(word)
    if "[" in word:
        return name in KNOWN_ARG_FIELDS
    return name in KNOWN_FIELDS


class Ruleset:
    """Lists, macros and rules of one or more Falco YAML documents, in load order."""

    def __init__(self, *documents: list[dict[str, Any]]):
        self.lists: dict[str, list[Any]] = {}
        self.macros: dict[str, Any] = {}
        self.rules: dict[str, dict[str, Any]] = {}
        for document in documents:
            for item in document:
                if "list" in item:
                    self.lists[item["list"]] = list(item["items"])
                elif "macro" in item:
                    self.macros[item["macro"]] = item["condition"]
                elif "rule" in item:
                    self.rules[item["rule"]] = item
                else:
                    raise FalcoError(f"unknown item {item!r}")
        self._compiled: dict[str, Any] = {}

    # ---- parsing -----------------------------------------------------------------------
    def compile(self, condition: str, _stack: tuple[str, ...] = ()) -> Any:
        parser = _Parser(tokens(condition), self, _stack)
        tree = parser.expr()
        if parser.pos != len(parser.toks):
            raise FalcoError(f"trailing tokens in {condition!r}")
        return tree

    def macro(self, name: str, stack: tuple[str, ...]) -> Any:
        if name in stack:
            raise FalcoError(f"macro cycle {' -> '.join(stack + (name,))}")
        if name not in self._compiled:
            self._compiled[name] = self.compile(self.macros[name], stack + (name,))
        return self._compiled[name]

    def expand(self, items: list[Any], stack: tuple[str, ...] = ()) -> list[Any]:
        out = []
        for item in items:
            if isinstance(item, str) and item in self.lists:
                if item in stack:
                    raise FalcoError(f"list cycle at {item}")
                out += self.expand(self.lists[item], stack + (item,))
            else:
                out.append(item)
        return out

    def rule_tree(self, name: str) -> Any:
        return self.compile(self.rules[name]["condition"])

    def matches(self, rule: str, event: Mapping[str, Any]) -> bool:
        return _eval(self.rule_tree(rule), event)

    def output_fields(self, rule: str) -> list[str]:
        return re.findall(r"%([A-Za-z0-9_.]+(?:\[[^\]]*\])?)", self.rules[rule]["output"])


class _Parser:
    def __init__(self, toks, ruleset: Ruleset, stack):
        self.toks, self.rs, self.stack, self.pos = toks, ruleset, stack, 0

    def peek(self):
        return self.toks[self.pos] if self.pos < len(self.toks) else (None, None)

    def take(self):
        tok = self.peek()
        if tok[0] is None:
            raise FalcoError("condition ends early")
        self.pos += 1
        return tok

    def expr(self):
        node = self.conj()
        while self.peek() == ("word", "or"):
            self.take()
            node = ("or", node, self.conj())
        return node

    def conj(self):
        node = self.neg()
        while self.peek() == ("word", "and"):
            self.take()
            node = ("and", node, self.neg())
        return node

    def neg(self):
        if self.peek() == ("word", "not"):
            self.take()
            return ("not", self.neg())
        return self.atom()

    def atom(self):
        kind, value = self.take()
        if (kind, value) == ("op", "("):
            node = self.expr()
            if self.take() != ("op", ")"):
                raise FalcoError("missing )")
            return node
        if kind != "word":
            raise FalcoError(f"unexpected {value!r}")
        if value in self.rs.macros:
            return ("macro", value, self.rs.macro(value, self.stack))
        if not is_field(value):
            raise FalcoError(f"{value!r} is neither a known field nor a defined macro")
        op_kind, op = self.take()
        if op not in OPERATORS:
            raise FalcoError(f"unknown operator {op!r} after {value}")
        if op == "exists":
            return ("cmp", value, "exists", None)
        if op == "in":
            if self.take() != ("op", "("):
                raise FalcoError("in needs (")
            items = []
            while True:
                k, v = self.take()
                if (k, v) == ("op", ")"):
                    break
                if (k, v) == ("op", ","):
                    continue
                if k == "word" and v.isidentifier() and v not in self.rs.lists and "_" in v and v.startswith("imaging_"):
                    raise FalcoError(f"undefined list {v!r}")
                items.append(v)
            return ("cmp", value, "in", self.rs.expand(items))
        k, v = self.take()
        if k == "op" and v not in ("<", ">"):
            raise FalcoError(f"missing value after {value} {op}")
        return ("cmp", value, op, v)


def _num(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _equal(actual: Any, expected: Any) -> bool:
    a, e = _num(actual), _num(expected)
    if a is not None and e is not None:
        return a == e
    return str(actual) == str(expected)


def _cmp(field: str, op: str, expected: Any, event: Mapping[str, Any]) -> bool:
    if op == "exists":
        return field in event and event[field] not in (None, "")
    if field not in event:
        return False  # Falco: a missing field makes the comparison false (and `not` of it true)
    actual = event[field]
    if op == "in":
        if field_name(field) in CIDR_FIELDS:
            ip = ipaddress.ip_address(str(actual))
            return any(ip in ipaddress.ip_network(str(c)) for c in expected)
        return any(_equal(actual, e) for e in expected)
    if op == "=":
        return _equal(actual, expected)
    if op == "!=":
        return not _equal(actual, expected)
    if op == "startswith":
        return str(actual).startswith(str(expected))
    if op == "endswith":
        return str(actual).endswith(str(expected))
    if op == "contains":
        return str(expected) in str(actual)
    a, e = _num(actual), _num(expected)
    if a is None or e is None:
        raise FalcoError(f"{field} {op} needs numbers")
    return {"<": a < e, "<=": a <= e, ">": a > e, ">=": a >= e}[op]


def _eval(node: Any, event: Mapping[str, Any]) -> bool:
    kind = node[0]
    if kind == "and":
        return _eval(node[1], event) and _eval(node[2], event)
    if kind == "or":
        return _eval(node[1], event) or _eval(node[2], event)
    if kind == "not":
        return not _eval(node[1], event)
    if kind == "macro":
        return _eval(node[2], event)
    return _cmp(node[1], node[2], node[3], event)


def fields_in(node: Any) -> set[str]:
    kind = node[0]
    if kind in ("and", "or"):
        return fields_in(node[1]) | fields_in(node[2])
    if kind == "not":
        return fields_in(node[1])
    if kind == "macro":
        return fields_in(node[2])
    return {node[1]}
