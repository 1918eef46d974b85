"""Roles name the exact API groups, resources and verbs they grant.

A ``*`` grants everything that exists, including resources and verbs added by later
Kubernetes versions and CRDs (object buckets, databases): a read-only role with a
wildcard resource reads Secrets, a wildcard verb includes ``escalate``. Each grant must be
spelled out so that a reviewer sees exactly what a trust's staff can do.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.core import Context, Resource, resource_policy
from imaging_policies.k8s import ROLE_KINDS


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    for index, rule in enumerate(resource.props.get("rules") or []):
        if not isinstance(rule, dict):
            continue
        for field in ("apiGroups", "resources", "verbs", "nonResourceURLs"):
            if "*" in (rule.get(field) or []):
                yield f"rules[{index}].{field} contains '*': list the exact {field} this role needs"


POLICY = resource_policy(
    check,
    applies_to=ROLE_KINDS,
    id="rbac-no-wildcards",
    severity="high",
    description="No Role or ClusterRole uses a wildcard in its API groups, resources, verbs or URLs.",
    remediation="1. Replace each '*' with the explicit list of API groups, resources and verbs required.",
    controls=(ncsc(9), ndg(4), cis("5.1.3")),
)
