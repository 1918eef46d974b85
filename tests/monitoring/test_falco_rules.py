"""Falco rules (infra/monitoring/rules/falco): structure, resolution, and behaviour per rule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from falco_subset import KNOWN_ARG_FIELDS, KNOWN_FIELDS, PRIORITIES, FalcoError, Ruleset, field_name, fields_in

from infra.monitoring import rules, values
from infra.monitoring.rules import FALCO_GENERATED_LISTS, FALCO_NONE, falco_custom_rules, falco_lists

FIXTURES = yaml.safe_load((Path(__file__).parent / "fixtures" / "falco_events.yaml").read_text())
TRUSTS = ["trust-aaa", "trust-bbb", "trust-ccc"]
SAME, CROSS = ["trust-bbb"], ["trust-ccc"]


def ruleset(trusts=TRUSTS, same=SAME, cross=CROSS) -> Ruleset:
    files = falco_custom_rules(trusts, same, cross)
    return Ruleset(*(yaml.safe_load(text) for _, text in sorted(files.items())))


RULESET = ruleset()
RULE_NAMES = sorted(RULESET.rules)


def test_rule_files_parse_into_known_items():
    for name, text in rules.falco_rule_files().items():
        items = yaml.safe_load(text)
        assert isinstance(items, list) and items, name
        for item in items:
            kinds = {"rule", "macro", "list"} & set(item)
            assert len(kinds) == 1, item


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_rule_structure(rule):
    item = RULESET.rules[rule]
    assert {"rule", "desc", "condition", "output", "priority", "tags"} <= set(item)
    assert item["priority"] in PRIORITIES
    assert "imaging" in item["tags"]
    assert values.FALCO_SEVERITY[item["priority"]] in values.SEVERITY_ROUTES
    assert rule.startswith("Imaging "), "estate rules are prefixed so they never override upstream ones"


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_condition_resolves(rule):
    """Every macro and list is defined, every field is a real Falco field."""
    tree = RULESET.rule_tree(rule)
    for field in fields_in(tree):
        assert field_name(field) in KNOWN_FIELDS | KNOWN_ARG_FIELDS, field


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_output_tags_namespace_pod_and_trust(rule):
    fields = RULESET.output_fields(rule)
    for required in ("k8s.ns.name", "k8s.pod.name", "k8smeta.ns.label[imaging.nhs.uk/trust]"):
        assert required in fields, (rule, required)
    for field in fields:
        assert field_name(field) in KNOWN_FIELDS | KNOWN_ARG_FIELDS, field


def test_every_rule_has_fixtures():
    assert sorted(FIXTURES) == RULE_NAMES


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_rule_matches_its_event(rule):
    for event in FIXTURES[rule]["match"]:
        assert RULESET.matches(rule, event), event


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_rule_ignores_benign_events(rule):
    assert FIXTURES[rule]["no_match"]
    for event in FIXTURES[rule]["no_match"]:
        assert not RULESET.matches(rule, event), event


def test_generated_lists_are_never_empty():
    lists = {item["list"]: item["items"] for item in falco_lists([], [], [])}
    assert sorted(lists) == sorted(FALCO_GENERATED_LISTS)
    assert all(items == [FALCO_NONE] for items in lists.values())
    # ... and the placeholder matches no namespace.
    empty = ruleset([], [], [])
    event = FIXTURES["Imaging exec into trust archive"]["match"][0]
    assert not empty.matches("Imaging exec into trust archive", event)


def test_lists_load_before_rules():
    names = sorted(falco_custom_rules(TRUSTS))
    assert names[0] == rules.FALCO_LISTS_FILE


def test_undefined_macro_or_list_is_reported():
    rs = Ruleset([{"macro": "m", "condition": "evt.type = execve"}])
    with pytest.raises(FalcoError):
        rs.compile("m and unknown_macro")
    with pytest.raises(FalcoError):
        rs.compile("k8s.ns.name in (imaging_missing_list)")
    with pytest.raises(FalcoError):
        rs.compile("evt.typo = execve")


def test_agreement_consumers_follow_the_estate():
    from infra.components.monitoring import agreement_consumers
    from infra.model.loader import load_estate
    from infra.settings import STACKS_DIR

    estate = load_estate(STACKS_DIR / "estate-dev")
    as_of = dt.date(2026, 11, 27)
    for region in estate.regions:
        for cluster in region.clusters:
            same, cross = agreement_consumers(estate, cluster, as_of)
            for a in estate.live_agreements(as_of):
                consumer, provider = estate.trust(a.consumer), estate.trust(a.provider)
                if estate.cluster_of(consumer).name != cluster.name:
                    assert consumer.namespace not in same + cross
                elif estate.cluster_of(provider).name == cluster.name:
                    assert consumer.namespace in same
                else:
                    assert consumer.namespace in cross
