"""Cluster API servers are reachable only from the management networks, never publicly.

The API server administers every archive on its cluster. The ClusterClass must keep it
off floating (public) IPs and behind security groups that do not open all in-cluster
traffic, and each Cluster must restrict its API load balancer to private management
networks.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.core import Context, Resource, dig, is_unknown, resource_policy
from imaging_policies.k8s import CAPI_CLUSTER, private_network

OPENSTACK_CLUSTER_TEMPLATE = "OpenStackClusterTemplate.infrastructure.cluster.x-k8s.io"


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    if resource.gk == OPENSTACK_CLUSTER_TEMPLATE:
        base = "spec.template.spec"
        spec = dig(resource.props, "spec", "template", "spec", default={}) or {}
        if spec.get("disableAPIServerFloatingIP") is not True:
            yield f"{base}.disableAPIServerFloatingIP is not true: the API server would get a floating IP"
        if dig(spec, "managedSecurityGroups", "allowAllInClusterTraffic") is not False:
            yield f"{base}.managedSecurityGroups.allowAllInClusterTraffic must be false"
        for index, cidr in enumerate(dig(spec, "apiServerLoadBalancer", "allowedCIDRs", default=[]) or []):
            if str(cidr).endswith("/0"):
                yield f"{base}.apiServerLoadBalancer.allowedCIDRs[{index}] is {cidr}: name the management networks"
        return
    variables = dig(resource.props, "spec", "topology", "variables", default=[]) or []
    allowed = next((v.get("value") for v in variables if isinstance(v, dict) and v.get("name") == "apiServerAllowedCIDRs"), None)
    field = "spec.topology.variables[apiServerAllowedCIDRs]"
    if is_unknown(allowed):
        return
    if not allowed:
        yield f"{field} is missing or empty: list the management networks allowed to reach the API server"
        return
    for cidr in allowed:
        if private_network(str(cidr)) is not True:
            yield f"{field} contains {cidr}: only private management networks may reach the API server"


POLICY = resource_policy(
    check,
    applies_to={CAPI_CLUSTER, OPENSTACK_CLUSTER_TEMPLATE},
    id="cluster-api-servers-private",
    severity="high",
    description="Kubernetes API servers have no public IP and admit only private management networks.",
    remediation=(
        "1. Keep disableAPIServerFloatingIP: true and allowAllInClusterTraffic: false in the "
        "OpenStackClusterTemplate (infra/components/cluster.py).\n"
        "2. Set the cluster's api_allowed_cidrs in stacks/estate/regions.yaml to the private "
        "management networks only."
    ),
    controls=(ncsc(11), ncsc(12), ndg(9)),
)
