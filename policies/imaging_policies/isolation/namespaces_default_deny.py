"""Every trust and platform-zone namespace denies all ingress and egress by default.

With default deny, a flow exists only if a named NetworkPolicy allows it, so a new pod or
a forgotten policy cannot open a path between trusts. Without it, Kubernetes allows
everything to and from the namespace: the separation between trusts rests on this one
object.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.conventions import TRUST_LABEL, ZONE_LABEL, is_trust_namespace, is_zone_namespace
from imaging_policies.core import Context, NotApplicable, Resource, Stack, stack_policy
from imaging_policies.k8s import NETWORK_POLICY


def is_default_deny(policy: Resource) -> bool:
    spec = policy.props.get("spec") or {}
    return (
        spec.get("podSelector") == {}
        and set(spec.get("policyTypes") or []) == {"Ingress", "Egress"}
        and not spec.get("ingress")
        and not spec.get("egress")
    )


def check(stack: Stack, ctx: Context) -> Iterator[tuple[str, str | None]]:
    guarded = [
        ns for ns in stack.objects("Namespace")
        if TRUST_LABEL in ns.labels or ZONE_LABEL in ns.labels
        or is_trust_namespace(ns.object_name) or is_zone_namespace(ns.object_name)
    ]
    if not guarded:
        raise NotApplicable("no trust or zone namespaces in this stack")
    denied = {(p.cluster, p.namespace) for p in stack.objects(NETWORK_POLICY) if is_default_deny(p)}
    for ns in guarded:
        if (ns.cluster, ns.object_name) not in denied:
            what = "trust" if TRUST_LABEL in ns.labels or is_trust_namespace(ns.object_name) else "zone"
            yield (f"{what} namespace {ns.object_name} has no default-deny NetworkPolicy (spec.podSelector: {{}}, "
                   "spec.policyTypes: [Ingress, Egress], no ingress or egress rules)", ns.urn)


POLICY = stack_policy(
    check,
    id="namespaces-default-deny",
    severity="critical",
    description="Every trust and platform-zone namespace has a default-deny NetworkPolicy for ingress and egress.",
    remediation=(
        "1. Create the namespace through TrustTenancy or PlatformZones (infra/components), which "
        "call NamespaceFirewall.deny_all().\n"
        "2. If the policy exists, make it select every pod (podSelector: {}) with policyTypes "
        "[Ingress, Egress] and no rules; allow flows in separate, named policies."
    ),
    controls=(ncsc(3), ncsc(11), ndg(9), cis("5.3.2")),
)
