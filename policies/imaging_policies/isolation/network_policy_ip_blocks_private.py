"""NetworkPolicy address blocks are private, and never the whole internet.

Hospital networks, cluster node networks and the national hub are all private (HSCN and
the private cloud). A public or 0.0.0.0/0 block opens a trust to the internet. The one
exception is inbound traffic to the ingress zone, the DMZ, which may accept routable
hospital ranges; even there the whole address space is refused.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.conventions import INGRESS_ZONE
from imaging_policies.core import Context, NotApplicable, Resource, is_unknown, resource_policy
from imaging_policies.k8s import NETWORK_POLICY, peers, private_network


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    spec = resource.props.get("spec") or {}
    blocks = [(d, path, peer["ipBlock"]) for d, path, peer in peers(spec) if isinstance(peer.get("ipBlock"), dict)]
    if not blocks:
        raise NotApplicable("has no ipBlock peers")
    for direction, path, block in blocks:
        cidr = block.get("cidr")
        if is_unknown(cidr):
            continue
        private = private_network(str(cidr))
        if private is None:
            yield f"{path}.ipBlock.cidr {cidr!r} is not a valid network"
        elif str(cidr).endswith("/0"):
            yield f"{path}.ipBlock.cidr is {cidr}, every address: name the networks that need the flow"
        elif not private and not (resource.namespace == INGRESS_ZONE and direction == "ingress"):
            yield (f"{path}.ipBlock.cidr {cidr} is a public network: only private (HSCN, private cloud) "
                   "networks may be peers outside the ingress zone")


POLICY = resource_policy(
    check,
    applies_to={NETWORK_POLICY},
    id="network-policy-ip-blocks-private",
    severity="high",
    description="NetworkPolicy ipBlocks are private networks and never the whole address space.",
    remediation=(
        "1. Replace the block with the private network of the peer (hospital network, node CIDR, hub).\n"
        "2. Internet-facing traffic is not part of this platform; route external partners through "
        "the national exchange instead."
    ),
    controls=(ncsc(11), ncsc(3), ndg(9)),
)
