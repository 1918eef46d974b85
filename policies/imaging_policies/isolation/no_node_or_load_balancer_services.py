"""Only the edge zones expose Services outside the cluster.

A LoadBalancer or NodePort Service, or one with external IPs, in a trust namespace would
publish an archive straight onto the network, around the ingress zone's TLS termination
and the trust's firewall. Hospitals reach archives through the ingress zone; regions
reach each other through the exchange zone; nothing else is exposed.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.conventions import EXCHANGE_ZONE, INGRESS_ZONE
from imaging_policies.core import Context, NotApplicable, Resource, resource_policy

EDGE_ZONES = frozenset({INGRESS_ZONE, EXCHANGE_ZONE})


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    if resource.namespace in EDGE_ZONES:
        raise NotApplicable("edge zones may expose services")
    spec = resource.props.get("spec") or {}
    kind = spec.get("type", "ClusterIP")
    if kind in ("LoadBalancer", "NodePort"):
        yield (f"spec.type is {kind} in namespace {resource.namespace}: use ClusterIP and publish through "
               f"the ingress zone ({INGRESS_ZONE})")
    if spec.get("externalIPs"):
        yield f"spec.externalIPs is set in namespace {resource.namespace}: remove it"
    for index, port in enumerate(spec.get("ports") or []):
        if isinstance(port, dict) and port.get("nodePort") and kind not in ("LoadBalancer", "NodePort"):
            yield f"spec.ports[{index}].nodePort is set: remove it"


POLICY = resource_policy(
    check,
    applies_to={"Service"},
    id="no-node-or-load-balancer-services",
    severity="high",
    description="No Service outside the ingress and exchange zones is of type LoadBalancer or NodePort or has external IPs.",
    remediation=(
        "1. Set spec.type: ClusterIP and remove externalIPs/nodePort.\n"
        "2. Publish the service through the ingress zone (zone-ingress) route instead."
    ),
    controls=(ncsc(11), ncsc(3), ndg(9)),
)
