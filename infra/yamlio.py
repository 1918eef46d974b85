"""YAML in and out through libyaml, the C parser and emitter PyYAML ships.

The pure-Python parser took half of a region's render time and the pure-Python emitter
a tenth of it (docs/performance.md); every YAML read or written by the project goes
through here so none of it falls back by accident. Safe types only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DUMPER(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # noqa: N801 - used like PyYAML's names
    """libyaml's emitter; never anchors/aliases (``&id001``), which manifests must not
    carry and whose bookkeeping is a tenth of the dump time."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def load(text: str) -> Any:
    return yaml.load(text, Loader=LOADER)


def load_all(text: str) -> Iterator[Any]:
    return yaml.load_all(text, Loader=LOADER)


def dump(data: Any, **options: Any) -> str:
    """``yaml.safe_dump`` with libyaml; same options."""
    return yaml.dump(data, Dumper=DUMPER, **options)
