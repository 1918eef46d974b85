"""Every cluster's API server has an audit policy that records who did what, without secrets.

The audit trail is what reconstructs an incident: exec into an archive pod, a change to a
NetworkPolicy or RBAC, who read which Secret. The policy must exist, must log secrets,
ConfigMaps and token reviews at Metadata level only (never their payloads, which would
copy credentials into logs), record changes in trust namespaces and to RBAC and network
policy with their bodies, and end with a catch-all that logs everything else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.core import Context, Resource, dig, is_unknown, resource_policy
from imaging_policies.k8s import CAPI_CLUSTER

SENSITIVE = ("secrets", "configmaps", "tokenreviews")
BODY_LEVELS = ("Request", "RequestResponse")


def _first_match(rules: list[Mapping[str, Any]], group: str, resource: str, verb: str) -> Mapping[str, Any] | None:
    """The rule that decides how ``verb`` on ``group/resource`` by any user is logged (first match wins).

    Rules limited to some users or to non-resource URLs never decide for every request;
    rules limited to namespaces do decide inside those namespaces, so they count.
    """
    for rule in rules:
        if rule.get("users") or rule.get("userGroups") or rule.get("nonResourceURLs"):
            continue
        if rule.get("verbs") and verb not in rule["verbs"]:
            continue
        selected = rule.get("resources")
        if not selected:
            return rule
        for entry in selected:
            if entry.get("group", "") == group and (not entry.get("resources") or resource in entry["resources"]):
                return rule
    return None


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    variables = dig(resource.props, "spec", "topology", "variables", default=[]) or []
    text = next((v.get("value") for v in variables if isinstance(v, dict) and v.get("name") == "auditPolicy"), None)
    field = "spec.topology.variables[auditPolicy]"
    if is_unknown(text):
        return
    if not text:
        yield f"{field} is missing: every cluster gets the national audit policy (infra/cluster/audit_policy.py)"
        return
    try:
        policy = yaml.safe_load(text)
    except yaml.YAMLError as error:
        yield f"{field} is not valid YAML: {error}"
        return
    if not isinstance(policy, dict) or policy.get("kind") != "Policy" or not str(policy.get("apiVersion", "")).startswith("audit.k8s.io/"):
        yield f"{field} is not an audit.k8s.io Policy"
        return
    rules = [r for r in policy.get("rules") or [] if isinstance(r, dict)]
    for name in SENSITIVE:
        group = "authentication.k8s.io" if name == "tokenreviews" else ""
        for verb in ("get", "create", "update", "patch"):
            rule = _first_match(rules, group, name, verb)
            if rule is None or rule.get("level") in BODY_LEVELS:
                level = rule.get("level") if rule else "no rule"
                yield (f"{field}: {verb} on {name} is logged at {level}: log {name} at Metadata so payloads "
                       "never reach the audit log")
                break
    writes = [r for r in rules if r.get("level") == "RequestResponse" and "delete" in (r.get("verbs") or [])]
    if not any(any((e.get("group") == "rbac.authorization.k8s.io") for e in r.get("resources") or []) for r in writes):
        yield f"{field}: changes to RBAC are not logged at RequestResponse"
    if not any(any("networkpolicies" in (e.get("resources") or []) for e in r.get("resources") or []) for r in writes):
        yield f"{field}: changes to NetworkPolicies are not logged at RequestResponse"
    if not rules or set(rules[-1]) != {"level"} or rules[-1]["level"] == "None":
        yield f"{field}: the last rule must be a catch-all logging at Metadata or above"


POLICY = resource_policy(
    check,
    applies_to={CAPI_CLUSTER},
    id="workload-clusters-audit-policy",
    severity="high",
    description="Every Cluster API cluster gets an API audit policy that logs secrets at Metadata only, records RBAC and network changes, and logs everything else.",
    remediation=(
        "1. Pass audit_policy(trust_namespaces) as the auditPolicy topology variable (WorkloadCluster).\n"
        "2. Keep Secrets/ConfigMaps/TokenReviews at Metadata and a final catch-all rule."
    ),
    controls=(ncsc(13), ncsc(5), ndg(6), ndg(4), cis("3.2.1"), cis("3.2.2")),
)
