"""Enforcement levels: a pack default, a level per severity, and per-policy overrides.

The levels live in ``policies/pack-config.yaml`` (one file an auditor can read) and are
resolved the same way for the CrossGuard pack and the offline audit. Two selectors narrow
a run without editing the file: a minimum severity (policies below it are disabled) and
explicit per-policy levels (e.g. ``--level trust-archive-complete=mandatory``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from imaging_policies.core import LEVELS, SEVERITIES, Policy

CONFIG_FILE = Path(__file__).resolve().parent.parent / "pack-config.yaml"


class EnforcementError(ValueError):
    """pack-config.yaml or a selector is invalid (the message names the key)."""


@dataclasses.dataclass(frozen=True)
class Enforcement:
    default: str = "advisory"
    by_severity: Mapping[str, str] = dataclasses.field(default_factory=dict)
    overrides: Mapping[str, str] = dataclasses.field(default_factory=dict)
    reasons: Mapping[str, str] = dataclasses.field(default_factory=dict)
    min_severity: str | None = None

    def level(self, policy: Policy) -> str:
        if self.min_severity and SEVERITIES.index(policy.severity) < SEVERITIES.index(self.min_severity):
            return "disabled"
        if policy.id in self.overrides:
            return self.overrides[policy.id]
        return self.by_severity.get(policy.severity, self.default)

    def levels(self, policies: Iterable[Policy]) -> dict[str, str]:
        return {p.id: self.level(p) for p in policies}

    def with_selectors(self, min_severity: str | None = None, levels: Mapping[str, str] | None = None) -> Enforcement:
        if min_severity is not None and min_severity not in SEVERITIES:
            raise EnforcementError(f"minimum severity {min_severity!r} is not one of {', '.join(SEVERITIES)}")
        for policy_id, level in (levels or {}).items():
            if level not in LEVELS:
                raise EnforcementError(f"level {level!r} of {policy_id} is not one of {', '.join(LEVELS)}")
        return dataclasses.replace(
            self,
            min_severity=min_severity or self.min_severity,
            overrides={**self.overrides, **(levels or {})},
        )


def load(path: Path = CONFIG_FILE, known_ids: Iterable[str] | None = None) -> Enforcement:
    """Read and check pack-config.yaml; unknown levels, severities or policy ids fail."""
    data = yaml.safe_load(path.read_text()) or {}
    where = path.name

    def level_of(value: object, key: str) -> str:
        if value not in LEVELS:
            raise EnforcementError(f"{where}: {key}: {value!r} is not one of {', '.join(LEVELS)}")
        return str(value)

    unknown = set(data) - {"default", "bySeverity", "overrides"}
    if unknown:
        raise EnforcementError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    default = level_of(data.get("default", "advisory"), "default")
    by_severity = {}
    for severity, value in (data.get("bySeverity") or {}).items():
        if severity not in SEVERITIES:
            raise EnforcementError(f"{where}: bySeverity.{severity}: not a severity ({', '.join(SEVERITIES)})")
        by_severity[severity] = level_of(value, f"bySeverity.{severity}")
    overrides, reasons = {}, {}
    known = set(known_ids) if known_ids is not None else None
    for policy_id, entry in (data.get("overrides") or {}).items():
        if known is not None and policy_id not in known:
            raise EnforcementError(f"{where}: overrides.{policy_id}: no such policy")
        if not isinstance(entry, Mapping) or not str(entry.get("reason", "")).strip():
            raise EnforcementError(f"{where}: overrides.{policy_id}: give a level and a reason")
        overrides[policy_id] = level_of(entry.get("level"), f"overrides.{policy_id}.level")
        reasons[policy_id] = " ".join(str(entry["reason"]).split())
    return Enforcement(default, by_severity, overrides, reasons)
