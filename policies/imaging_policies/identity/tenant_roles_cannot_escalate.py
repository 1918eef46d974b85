"""Trust staff cannot widen their own access or step around their trust's isolation.

A tenant who can write RBAC grants themselves anything; one who can edit NetworkPolicies,
quotas or namespaces removes the isolation from other trusts; ``bind``, ``escalate`` and
``impersonate`` are escalation by design; ``exec``/``attach``/``port-forward`` into an
archive pod hands over its credentials and every image. Trust roles get none of them.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.conventions import is_trust_namespace
from imaging_policies.core import Context, NotApplicable, Resource, resource_policy
from imaging_policies.k8s import ROLE_KINDS

ESCALATING_VERBS = frozenset({"bind", "escalate", "impersonate"})
WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection", "*"})
#: (API group, resource) a tenant must never write: its own guard rails.
GUARD_RAILS = frozenset({
    ("rbac.authorization.k8s.io", "roles"), ("rbac.authorization.k8s.io", "rolebindings"),
    ("rbac.authorization.k8s.io", "clusterroles"), ("rbac.authorization.k8s.io", "clusterrolebindings"),
    ("networking.k8s.io", "networkpolicies"), ("", "resourcequotas"), ("", "limitranges"), ("", "namespaces"),
    ("", "serviceaccounts/token"),
})
#: Subresources that open a session inside a pod or a tunnel to it (any verb).
POD_ACCESS = frozenset({"pods/exec", "pods/attach", "pods/portforward", "pods/proxy", "services/proxy"})


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    bound_to_trust = resource.gk.startswith("Role.") and is_trust_namespace(resource.namespace)
    tenant_label = "imaging.nhs.uk/trust" in resource.labels
    if not (bound_to_trust or tenant_label):
        raise NotApplicable("not a trust role")
    for index, rule in enumerate(resource.props.get("rules") or []):
        if not isinstance(rule, dict):
            continue
        verbs = set(rule.get("verbs") or [])
        groups = set(rule.get("apiGroups") or [])
        resources = set(rule.get("resources") or [])
        where = f"rules[{index}]"
        escalating = verbs & ESCALATING_VERBS or ({"*"} & verbs)
        if escalating:
            yield f"{where}.verbs grants {', '.join(sorted(escalating))}: tenants cannot bind, escalate or impersonate"
        if verbs & WRITE_VERBS:
            for group, name in sorted(GUARD_RAILS):
                if (group in groups or "*" in groups) and (name in resources or "*" in resources):
                    yield f"{where} lets the trust {'/'.join(sorted(verbs & WRITE_VERBS))} {name}: remove it"
        if "" in groups or "*" in groups:
            opened = resources & POD_ACCESS or (POD_ACCESS if "*" in resources else set())
            if opened:
                yield f"{where}.resources grants {', '.join(sorted(opened))}: no shell or tunnel into trust pods"


POLICY = resource_policy(
    check,
    applies_to=ROLE_KINDS,
    id="tenant-roles-cannot-escalate",
    severity="critical",
    description="No trust role can bind, escalate or impersonate, write RBAC, NetworkPolicies, quotas or namespaces, or exec into pods.",
    remediation=(
        "1. Remove the rule from the trust role (infra/components/tenancy.py TRUST_ADMIN_RULES).\n"
        "2. Changes to a trust's access or firewall go through the platform team's pipeline."
    ),
    controls=(ncsc(9), ncsc(3), ndg(4), cis("5.1.8")),
)
