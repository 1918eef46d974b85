"""A trust's access is granted only to that trust's identity-provider groups, through Roles.

People sign in with the national identity provider; what they may do follows from their
group (``oidc:imaging-cloud:<ODS>:admins``), which the trust manages and which ends when
they leave. A binding to a named user outlives the person's role, a binding to another
trust's group crosses the tenant boundary, and a ClusterRole (``admin``, ``edit``,
``cluster-admin``) grants far more than the trust roles. Tenant groups never get
cluster-wide bindings.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.conventions import OIDC_GROUP_PREFIX, TRUST_NAMESPACE_PREFIX, is_trust_namespace
from imaging_policies.core import Context, NotApplicable, Resource, resource_policy
from imaging_policies.k8s import BINDING_KINDS

TENANT_GROUP_PREFIX = f"{OIDC_GROUP_PREFIX}imaging-cloud:"


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    subjects = [s for s in resource.props.get("subjects") or [] if isinstance(s, dict)]
    role_ref = resource.props.get("roleRef") or {}
    if resource.gk.startswith("ClusterRoleBinding"):
        for index, subject in enumerate(subjects):
            if str(subject.get("name", "")).startswith(TENANT_GROUP_PREFIX):
                yield f"subjects[{index}] {subject.get('name')} is a trust group: tenants get no cluster-wide bindings"
            if subject.get("name") == "system:masters":
                yield f"subjects[{index}] binds system:masters: never bind it"
        if role_ref.get("name") == "cluster-admin" and not any(str(s.get("name", "")).startswith("system:") for s in subjects):
            yield "roleRef is cluster-admin: bind a narrower ClusterRole"
        return
    if not is_trust_namespace(resource.namespace):
        raise NotApplicable("not in a trust namespace")
    ods = (resource.namespace or "").removeprefix(TRUST_NAMESPACE_PREFIX).upper()
    own = f"{TENANT_GROUP_PREFIX}{ods}:"
    if role_ref.get("kind") != "Role":
        yield f"roleRef.kind is {role_ref.get('kind')!r} ({role_ref.get('name')}): bind the trust's own Role"
    for index, subject in enumerate(subjects):
        kind, name = subject.get("kind"), str(subject.get("name", ""))
        if kind == "ServiceAccount" and subject.get("namespace", resource.namespace) == resource.namespace:
            continue
        if kind != "Group":
            yield f"subjects[{index}] is a {kind} ({name}): grant access to the trust's identity-provider group"
        elif not name.startswith(own):
            yield f"subjects[{index}] group {name!r} is not one of trust {ods}'s groups ({own}...)"


POLICY = resource_policy(
    check,
    applies_to=BINDING_KINDS,
    id="tenant-bindings-to-own-trust-groups",
    severity="high",
    description="Trust namespaces bind only their own Roles to their own trust's OIDC groups, and tenant groups get no cluster-wide bindings.",
    remediation=(
        "1. Bind the trust's Role to oidc:imaging-cloud:<ODS>:admins or :readers (TrustTenancy does).\n"
        "2. Manage membership in the identity provider, not with per-user bindings."
    ),
    controls=(ncsc(9), ncsc(10), ndg(4), cis("5.1.1"), cis("5.1.7")),
)
