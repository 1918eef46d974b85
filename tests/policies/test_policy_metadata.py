"""Every registered policy carries the metadata auditors rely on."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from imaging_policies import enforcement, registry
from imaging_policies.controls import NCSC_PRINCIPLES, all_controls
from imaging_policies.core import SEVERITIES

POLICIES = registry.all_policies()
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def test_at_least_thirty_policies_in_every_family():
    assert len(POLICIES) >= 30
    assert set(registry.FAMILIES) == {p.family for p in POLICIES}


@pytest.mark.parametrize("policy", POLICIES, ids=[p.id for p in POLICIES])
def test_metadata(policy):
    module_file = Path(policy.module.replace(".", "/") + ".py").name
    assert KEBAB.match(policy.id), "id is kebab-case"
    assert module_file == policy.id.replace("-", "_") + ".py", "id matches the file name"
    assert policy.severity in SEVERITIES
    description = policy.description
    assert description[0].isupper() and description.endswith("."), "description is a sentence"
    assert not re.search(r"[.!?]\s+[A-Z]", description), "description is one sentence"
    assert policy.remediation.startswith("1. "), "remediation is numbered steps"
    assert policy.controls, "at least one control"
    assert any(c.framework == "NCSC" for c in policy.controls), "every policy maps to an NCSC principle"
    assert any(c.framework == "DSPT" for c in policy.controls), "every policy maps to an NDG standard (DSPT)"
    assert len(policy.rationale) > 80, "the module docstring explains why the rule exists"
    assert policy.kind in ("resource", "stack")


def test_registered_once():
    counts = Counter(p.id for p in POLICIES)
    assert not [i for i, n in counts.items() if n > 1]
    modules = Counter(p.module for p in POLICIES)
    assert not [m for m, n in modules.items() if n > 1]


def test_every_ncsc_principle_is_automated_or_explained():
    from imaging_policies.controls import NCSC_ORGANISATIONAL

    covered = {c.ref for p in POLICIES for c in p.controls if c.framework == "NCSC"}
    for ref in NCSC_PRINCIPLES:
        assert ref in covered or ref in NCSC_ORGANISATIONAL, f"NCSC principle {ref}"
    assert not covered & set(NCSC_ORGANISATIONAL), "a principle is either automated or organisational"


def test_controls_are_catalogued():
    keys = {c.key for c in all_controls()}
    for policy in POLICIES:
        assert {c.key for c in policy.controls} <= keys


def test_enforcement_levels():
    config = enforcement.load(known_ids=[p.id for p in POLICIES])
    levels = config.levels(POLICIES)
    for policy in POLICIES:
        if policy.id in config.overrides:
            assert config.reasons[policy.id]
        elif policy.severity in ("critical", "high"):
            assert levels[policy.id] == "mandatory", "safety-critical policies block by default"
    assert levels["security-agents-on-workload-clusters"] == "mandatory"
    assert levels["workload-read-only-root-filesystem"] == "advisory"  # medium: advisory by severity
    assert levels["namespaces-default-deny"] == "mandatory"
