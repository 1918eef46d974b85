"""The CrossGuard entry point and the enforcement selectors (without starting the engine)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pulumi_policy
import pytest
import yaml

from imaging_policies import PACK_NAME, enforcement, registry
from imaging_policies.engine import pack_arguments, plain

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"


def test_main_builds_the_pack(monkeypatch):
    """policies/__main__.py hands PolicyPack every policy with its level and metadata."""
    built = {}

    class RecordingPack:
        def __init__(self, **kwargs):
            built.update(kwargs)

    monkeypatch.setattr(pulumi_policy, "PolicyPack", RecordingPack)
    runpy.run_path(str(POLICIES_DIR / "__main__.py"), run_name="__main__")
    assert built["name"] == PACK_NAME
    names = [p.name for p in built["policies"]]
    assert names == [p.id for p in registry.all_policies()]
    assert built["enforcement_level"] == pulumi_policy.EnforcementLevel.ADVISORY
    by_name = {p.name: p for p in built["policies"]}
    deny = by_name["namespaces-default-deny"]
    assert isinstance(deny, pulumi_policy.StackValidationPolicy)
    assert deny.enforcement_level == pulumi_policy.EnforcementLevel.MANDATORY
    assert deny.severity == pulumi_policy.Severity.CRITICAL
    assert deny.framework.name == "NCSC Cloud Security Principles"
    assert "CIS-5.3.2" in deny.tags and deny.remediation_steps.startswith("1. ")
    assert built["initial_config"]["security-agents-on-workload-clusters"] == pulumi_policy.EnforcementLevel.MANDATORY
    assert built["initial_config"]["workload-read-only-root-filesystem"] == pulumi_policy.EnforcementLevel.ADVISORY
    assert isinstance(by_name["images-pinned"], pulumi_policy.ResourceValidationPolicy)


def test_pulumi_policy_yaml_uses_the_project_virtualenv():
    config = yaml.safe_load((POLICIES_DIR / "PulumiPolicy.yaml").read_text())
    assert config["runtime"]["name"] == "python"
    assert (POLICIES_DIR / config["runtime"]["options"]["virtualenv"] / "bin" / "python").exists()


def test_min_severity_disables_lower_policies(monkeypatch):
    monkeypatch.setenv("IMAGING_POLICIES_MIN_SEVERITY", "critical")
    levels = {p.name: p.enforcement_level for p in pack_arguments()["policies"]}
    assert levels["workload-resource-limits"] == pulumi_policy.EnforcementLevel.DISABLED
    assert levels["namespaces-default-deny"] == pulumi_policy.EnforcementLevel.MANDATORY


def test_selectors_and_bad_config(tmp_path):
    config = enforcement.load()
    promoted = config.with_selectors(levels={"trust-archive-complete": "mandatory"})
    assert promoted.level(registry.policy("trust-archive-complete")) == "mandatory"
    with pytest.raises(enforcement.EnforcementError, match="severity 'urgent'"):
        config.with_selectors(min_severity="urgent")
    bad = tmp_path / "pack-config.yaml"
    bad.write_text("default: advisory\noverrides:\n  no-such-policy: {level: advisory, reason: x}\n")
    with pytest.raises(enforcement.EnforcementError, match="overrides.no-such-policy: no such policy"):
        enforcement.load(bad, known_ids=[p.id for p in registry.all_policies()])
    bad.write_text("bySeverity:\n  high: blocking\n")
    with pytest.raises(enforcement.EnforcementError, match="bySeverity.high: 'blocking'"):
        enforcement.load(bad)
    bad.write_text("overrides:\n  images-pinned: {level: advisory}\n")
    with pytest.raises(enforcement.EnforcementError, match="give a level and a reason"):
        enforcement.load(bad)


def test_unknown_values_during_preview_do_not_fail():
    """Values only known after deployment arrive as unknowns; they are never violations."""
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

    props = unknown_checking_proxy({"spec": {"template": {"spec": {"containers": [
        {"name": "c", "image": UNKNOWN_STRING_VALUE}]}}}, "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "x", "namespace": "zone-ingress"}})
    assert plain(props)["spec"]["template"]["spec"]["containers"][0]["image"] == "[unknown]"
    from fixture_loader import run_engine

    case = {"resource": {"inputs": plain(props)}}
    assert run_engine("images-pinned", case) == ("pass", [])
    assert run_engine("images-from-national-registry", case) == ("pass", [])
