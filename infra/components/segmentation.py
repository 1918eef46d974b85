"""Network segmentation as intent: deny everything, then allow named flows.

Every namespace the platform creates (trusts and zones) starts with a default-deny
policy for ingress AND egress; each allowed flow is one NetworkPolicy whose name says
what it allows. Peers are selected with ``kubernetes.io/metadata.name``, which the API
server sets and tenants cannot change, so a tenant cannot relabel a namespace into
someone else's allow-list.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.k8s import metadata, namespace_selector
from infra.ports import DNS_TCP, DNS_UDP, Port


@dataclasses.dataclass(frozen=True)
class Peer:
    """The other end of a flow: pods in a namespace, or an address block."""

    namespace: str | None = None
    pod_labels: dict[str, str] | None = None
    cidr: str | None = None

    def as_spec(self) -> dict[str, Any]:
        if self.cidr is not None:
            return {"ipBlock": {"cidr": self.cidr}}
        peer: dict[str, Any] = {"namespaceSelector": namespace_selector(self.namespace)}
        if self.pod_labels:
            peer["podSelector"] = {"matchLabels": dict(self.pod_labels)}
        return peer

    @staticmethod
    def namespace_pods(namespace: str, **labels: str) -> Peer:
        return Peer(namespace=namespace, pod_labels=labels or None)

    @staticmethod
    def network(cidr: str) -> Peer:
        return Peer(cidr=cidr)


#: kube-dns / CoreDNS in kube-system, the only resolver pods may use.
CLUSTER_DNS = Peer.namespace_pods("kube-system", **{"k8s-app": "kube-dns"})


class NamespaceFirewall:
    """Creates the NetworkPolicies of one namespace; names make the intent readable.

    ``resource_prefix`` keeps Pulumi names unique across clusters and namespaces.
    """

    def __init__(self, namespace: str, resource_prefix: str, opts: pulumi.ResourceOptions, labels: dict[str, str]):
        self.namespace = namespace
        self._prefix = resource_prefix
        self._opts = opts
        self._labels = labels
        self.policies: list[k8s.networking.v1.NetworkPolicy] = []

    def _policy(self, name: str, spec: dict[str, Any], purpose: str) -> k8s.networking.v1.NetworkPolicy:
        policy = k8s.networking.v1.NetworkPolicy(
            f"{self._prefix}-{name}",
            metadata=metadata(
                name, self.namespace, self._labels, {"imaging.nhs.uk/purpose": purpose}
            ),
            spec=spec,
            opts=self._opts,
        )
        self.policies.append(policy)
        return policy

    def isolate(self) -> None:
        """The baseline of every platform namespace: deny all, then DNS and in-namespace traffic."""
        self.deny_all()
        self.allow_dns()
        self.allow_within()

    def deny_all(self) -> k8s.networking.v1.NetworkPolicy:
        """Default deny for ingress and egress: nothing flows unless allowed below."""
        return self._policy(
            "default-deny",
            {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            "Default deny of all ingress and egress",
        )

    def allow_dns(self) -> k8s.networking.v1.NetworkPolicy:
        return self.allow_to("allow-dns", [CLUSTER_DNS], [DNS_UDP, DNS_TCP], "Name resolution via cluster DNS")

    def allow_within(self) -> k8s.networking.v1.NetworkPolicy:
        """Pods of the namespace may talk to each other (archive <-> its database)."""
        same = [{"podSelector": {}}]
        return self._policy(
            "allow-within-namespace",
            {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": same}],
                "egress": [{"to": same}],
            },
            "Traffic between pods of this namespace",
        )

    def allow_from(
        self,
        name: str,
        peers: Sequence[Peer],
        ports: Sequence[Port],
        purpose: str,
        pod_labels: dict[str, str] | None = None,
    ) -> k8s.networking.v1.NetworkPolicy:
        """Pods (``pod_labels``, default all) accept ``ports`` from ``peers``."""
        return self._allow("Ingress", name, peers, ports, purpose, pod_labels)

    def allow_to(
        self,
        name: str,
        peers: Sequence[Peer],
        ports: Sequence[Port],
        purpose: str,
        pod_labels: dict[str, str] | None = None,
    ) -> k8s.networking.v1.NetworkPolicy:
        """Pods (``pod_labels``, default all) may open ``ports`` on ``peers``."""
        return self._allow("Egress", name, peers, ports, purpose, pod_labels)

    def _allow(self, direction, name, peers, ports, purpose, pod_labels) -> k8s.networking.v1.NetworkPolicy:
        rules, side = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
        return self._policy(
            name,
            {
                "podSelector": {"matchLabels": dict(pod_labels)} if pod_labels else {},
                "policyTypes": [direction],
                rules: [{side: [p.as_spec() for p in peers], "ports": [p.as_spec() for p in ports]}],
            },
            purpose,
        )
