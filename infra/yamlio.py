"""YAML in and out through libyaml, the C parser and emitter PyYAML ships.

The pure-Python parser took half of a region's render time and the pure-Python emitter
a tenth of it (docs/performance.md); every YAML read or written by the project goes
through here so none of it falls back by accident. Safe types only.

Even with libyaml, PyYAML turns each node into Python data (and back) in Python, asking
its resolver (a list of regular expressions) twice per scalar what type the text is. The
renderer parses every chart object and writes every manifest, ~10,000 of each for the
estate, so the loader and dumper below take a direct path for the plain data Kubernetes
objects are made of (mappings, sequences, strings, integers, booleans, nulls) and
remember the resolver's answer for short scalars. Everything else goes through PyYAML's
own constructors and representers, so the results are identical to ``yaml.safe_load``
and ``yaml.safe_dump`` (``tests/unit/test_yamlio.py`` compares them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ, _INT, _BOOL, _NULL, _MERGE = (
    _TAG + kind for kind in ("str", "map", "seq", "int", "bool", "null", "merge")
)
#: Scalars longer than this (config files in ConfigMaps) are rarely repeated: not remembered.
_REMEMBER_UP_TO = 100


class _RememberedResolver:
    """The resolver's answer depends only on the text and the two implicit flags (no path
    resolvers are registered for the safe types), so it is computed once per text."""

    _answers: dict[tuple[str, tuple[bool, bool]], str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._answers = {}  # per class: loaders and dumpers may register different resolvers

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is not ScalarNode or len(value) > _REMEMBER_UP_TO:
            return super().resolve(kind, value, implicit)  # type: ignore[misc]
        key = (value, implicit)
        tag = self._answers.get(key)
        if tag is None:
            tag = self._answers[key] = super().resolve(kind, value, implicit)  # type: ignore[misc]
        return tag


class LOADER(_RememberedResolver, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # noqa: N801 - PyYAML's naming
    """libyaml's parser; plain mappings, sequences and common scalars built directly."""

    def construct_document(self, node: yaml.Node) -> Any:
        data = self._plain(node)
        self.constructed_objects, self.recursive_objects, self.deep_construct = {}, {}, False
        return data

    def _plain(self, node: yaml.Node) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        if tag == _MAP and not any(key.tag == _MERGE for key, _ in node.value):
            try:
                return {self._plain(key): self._plain(value) for key, value in node.value}
            except TypeError:  # an unhashable key: PyYAML's constructor words the error
                pass
        elif tag == _SEQ:
            return [self._plain(item) for item in node.value]
        elif tag in (_INT, _BOOL, _NULL):
            return self.yaml_constructors[tag](self, node)
        return self.construct_object(node, deep=True)  # merges, anchors' targets, floats, dates, ...


class DUMPER(_RememberedResolver, getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # noqa: N801
    """libyaml's emitter; never anchors/aliases (``&id001``), which manifests must not
    carry and whose bookkeeping is a tenth of the dump time."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def represent_data(self, data: Any) -> yaml.Node:
        kind = type(data)
        if kind is str:
            return ScalarNode(_STR, data)
        if kind is bool:
            return ScalarNode(_BOOL, "true" if data else "false")
        if kind is int:
            return ScalarNode(_INT, str(data))
        if data is None:
            return ScalarNode(_NULL, "null")
        if self.default_flow_style is not None:  # else PyYAML picks a style per collection
            if kind is dict:
                items = list(data.items())
                if self.sort_keys:
                    try:
                        items.sort()
                    except TypeError:  # as PyYAML: keys that do not compare stay in order
                        pass
                return MappingNode(_MAP, [(self.represent_data(k), self.represent_data(v)) for k, v in items],
                                   flow_style=self.default_flow_style)
            if kind is list:
                return SequenceNode(_SEQ, [self.represent_data(item) for item in data],
                                    flow_style=self.default_flow_style)
        return super().represent_data(data)


def load(text: str) -> Any:
    return yaml.load(text, Loader=LOADER)


def load_all(text: str) -> Iterator[Any]:
    return yaml.load_all(text, Loader=LOADER)


def dump(data: Any, **options: Any) -> str:
    """``yaml.safe_dump`` with libyaml; same options."""
    return yaml.dump(data, Dumper=DUMPER, **options)
