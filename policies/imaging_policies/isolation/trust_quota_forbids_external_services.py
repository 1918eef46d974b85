"""Each trust namespace's quota allows zero LoadBalancer and zero NodePort services.

The admission-time twin of ``no-node-or-load-balancer-services``: even a Service created
outside Pulumi (by an operator, or by hand during an incident) cannot expose a trust,
because the API server refuses it against the quota.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.conventions import TRUST_LABEL, is_trust_namespace
from imaging_policies.core import Context, NotApplicable, Stack, stack_policy

REQUIRED = ("services.loadbalancers", "services.nodeports")


def check(stack: Stack, ctx: Context) -> Iterator[tuple[str, str | None]]:
    trusts = [ns for ns in stack.objects("Namespace") if TRUST_LABEL in ns.labels or is_trust_namespace(ns.object_name)]
    if not trusts:
        raise NotApplicable("no trust namespaces in this stack")
    limited: dict[tuple[str, str], set[str]] = {}
    for quota in stack.objects("ResourceQuota"):
        hard = (quota.props.get("spec") or {}).get("hard") or {}
        zero = {key for key in REQUIRED if str(hard.get(key)) == "0"}
        limited.setdefault((quota.cluster, quota.namespace or ""), set()).update(zero)
    for ns in trusts:
        missing = [k for k in REQUIRED if k not in limited.get((ns.cluster, ns.object_name), set())]
        if missing:
            wanted = ", ".join(f"{key}: '0'" for key in missing)
            yield f"trust namespace {ns.object_name} has no ResourceQuota with spec.hard {wanted}", ns.urn


POLICY = stack_policy(
    check,
    id="trust-quota-forbids-external-services",
    severity="medium",
    description="Every trust namespace has a ResourceQuota that allows no LoadBalancer and no NodePort services.",
    remediation=(
        "1. Keep NO_EXTERNAL_SERVICES in the trust quota (infra/components/tenancy.py).\n"
        "2. If the quota was replaced, add services.loadbalancers: \"0\" and services.nodeports: \"0\" to spec.hard."
    ),
    controls=(ncsc(11), ncsc(3), ndg(9)),
)
