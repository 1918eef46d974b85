"""Sigma rules of the hub (infra/monitoring/rules/sigma): structure and behaviour per rule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from audit_subset import Request, at_least, level_of
from sigma_subset import correlate, get_field, lint, matches, MISSING

from infra.cluster.audit_policy import audit_policy
from infra.monitoring import rules, values

FIXTURES = yaml.safe_load((Path(__file__).parent / "fixtures" / "sigma_events.yaml").read_text())
ALL = rules.sigma_rules()
BY_NAME = {r["name"]: r for r in ALL}
DETECTIONS = sorted(r["name"] for r in ALL if "detection" in r)
CORRELATIONS = sorted(r["name"] for r in ALL if "correlation" in r)


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_rule_is_well_formed(name):
    assert lint(BY_NAME[name]) == []


def test_ids_and_names_unique():
    assert len({r["id"] for r in ALL}) == len(ALL)
    assert len(BY_NAME) == len(ALL)


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_level_routes_to_a_receiver(name):
    assert values.SIGMA_SEVERITY[BY_NAME[name]["level"]] in values.SEVERITY_ROUTES


@pytest.mark.parametrize("name", DETECTIONS)
def test_findings_name_region_cluster_trust(name):
    fields = BY_NAME[name]["fields"]
    for required in ("imaging.region", "imaging.cluster", "imaging.trust"):
        assert required in fields, required


def test_every_detection_has_fixtures():
    assert sorted(FIXTURES) == DETECTIONS


@pytest.mark.parametrize("name", DETECTIONS)
def test_rule_matches_its_events(name):
    for event in FIXTURES[name]["match"]:
        assert matches(BY_NAME[name], event), event


@pytest.mark.parametrize("name", DETECTIONS)
def test_rule_ignores_benign_events(name):
    assert FIXTURES[name]["no_match"]
    for event in FIXTURES[name]["no_match"]:
        assert not matches(BY_NAME[name], event), event


AUDIT_DETECTIONS = [n for n in DETECTIONS if BY_NAME[n]["logsource"].get("service") == "audit"]


def test_some_detections_read_the_audit_log():
    assert AUDIT_DETECTIONS


@pytest.mark.parametrize("name", AUDIT_DETECTIONS)
def test_audit_rules_read_what_the_policy_logs(name):
    """An audit-log rule may only rely on request bodies where the policy keeps them."""
    rule = BY_NAME[name]
    policy = audit_policy(["trust-rj1", "trust-rjz", "trust-rp4", "trust-rrv"])
    for event in FIXTURES[name]["match"]:
        ref = event["objectRef"]
        request = Request(verb=event["verb"], group=ref.get("apiGroup", ""), resource=ref["resource"],
                          subresource=ref.get("subresource", ""), namespace=ref.get("namespace", ""),
                          name=ref.get("name", ""))
        level, _ = level_of(policy, request)
        needed = "Request" if "requestObject" in event else "Metadata"
        assert at_least(level, needed), (event["objectRef"], level)


def test_correlation_references_exist():
    for name in CORRELATIONS:
        for base in BY_NAME[name]["correlation"]["rules"]:
            assert base in BY_NAME and "detection" in BY_NAME[base]


def _failures(n, start, step_seconds, client="10.20.30.40", trust="RJZ", status=401):
    base = FIXTURES["imaging_archive_failed_authentication"]["match"][0]
    out = []
    for i in range(n):
        event = yaml.safe_load(yaml.safe_dump(base))
        event["@timestamp"] = (start + dt.timedelta(seconds=i * step_seconds)).isoformat()
        event["client_ip"] = client
        event["status"] = status
        event["imaging"]["trust"] = trust
        out.append(event)
    return out


START = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.timezone.utc)
BURST = BY_NAME["imaging_archive_failed_authentication_burst"]


def test_burst_fires_at_twenty_in_five_minutes():
    assert correlate(BURST, BY_NAME, _failures(20, START, 10)) == [("london", "dev-london", "RJZ", "10.20.30.40")]


def test_burst_ignores_nineteen():
    assert correlate(BURST, BY_NAME, _failures(19, START, 10)) == []


def test_burst_ignores_a_slow_trickle():
    assert correlate(BURST, BY_NAME, _failures(40, START, 20)) == []  # 20 every 6m20s


def test_burst_is_per_client_and_trust():
    events = []
    for i in range(20):
        events += _failures(1, START + dt.timedelta(seconds=i), 0, client=f"10.20.30.{i}")
    events += _failures(10, START, 5, trust="RJ1") + _failures(10, START, 5, trust="RJZ")
    assert correlate(BURST, BY_NAME, events) == []


def test_burst_ignores_successes():
    assert correlate(BURST, BY_NAME, _failures(30, START, 1, status=200)) == []


def test_field_paths_with_dotted_keys():
    event = {"kubernetes": {"labels": {"app.kubernetes.io/name": "vna-archive"}}}
    assert get_field(event, "kubernetes.labels.app.kubernetes.io/name") == "vna-archive"
    assert get_field(event, "kubernetes.labels.app") is MISSING
