"""Small helpers for Kubernetes object metadata shared by the components."""

from __future__ import annotations

from typing import Any

#: Set by the API server on every namespace (since 1.22) and not editable by tenants:
#: the only safe label to select namespaces with in NetworkPolicies.
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
MANAGED_BY = {"app.kubernetes.io/managed-by": "imaging-cloud"}
TRUST_LABEL = "imaging.nhs.uk/trust"
ZONE_LABEL = "imaging.nhs.uk/zone"
REGION_LABEL = "imaging.nhs.uk/region"
#: Tells pulumi-kubernetes not to wait for readiness. Used only where no kubelet runs
#: (the local control plane) and only on workloads; see docs/adr/0004-real-engine.md.
SKIP_AWAIT = "pulumi.com/skipAwait"


def metadata(
    name: str,
    namespace: str | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Object metadata with an explicit name (never auto-named: names are the contract
    with operators and NetworkPolicies) and the platform's managed-by label."""
    meta: dict[str, Any] = {"name": name, "labels": {**MANAGED_BY, **(labels or {})}}
    if namespace is not None:
        meta["namespace"] = namespace
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def namespace_selector(name: str) -> dict[str, Any]:
    return {"matchLabels": {NAMESPACE_NAME_LABEL: name}}
