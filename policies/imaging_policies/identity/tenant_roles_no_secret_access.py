"""Trust staff cannot read Secrets.

The Secrets of a trust namespace hold the archive's database password, S3 keys, storage
master key and TLS keys. Staff use the archive through its authenticated API; credentials
are issued and rotated by the platform, so no trust role needs to read them.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.conventions import is_trust_namespace
from imaging_policies.core import Context, NotApplicable, Resource, resource_policy
from imaging_policies.k8s import ROLE_KINDS


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    if not (is_trust_namespace(resource.namespace) or "imaging.nhs.uk/trust" in resource.labels):
        raise NotApplicable("not a trust role")
    for index, rule in enumerate(resource.props.get("rules") or []):
        if not isinstance(rule, dict):
            continue
        groups, resources = set(rule.get("apiGroups") or []), set(rule.get("resources") or [])
        if ("" in groups or "*" in groups) and ("secrets" in resources or "*" in resources):
            yield f"rules[{index}] grants {'/'.join(rule.get('verbs') or [])} on secrets: remove secrets from the trust role"


POLICY = resource_policy(
    check,
    applies_to=ROLE_KINDS,
    id="tenant-roles-no-secret-access",
    severity="high",
    description="No trust role grants any access to Secrets.",
    remediation="1. Remove secrets (and any '*' resource) from the trust role's rules.",
    controls=(ncsc(9), ndg(4), cis("5.1.2")),
)
