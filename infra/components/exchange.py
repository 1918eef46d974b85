"""Image exchange: a live data sharing agreement compiles into exactly its routes.

For an agreement "consumer may retrieve from provider with services S":
- same cluster: the provider's archive accepts the consumer's archive pods on the
  ports of S, and the consumer's archive may send to the provider's on those ports;
- different clusters: each side routes through its region's exchange zone, whose
  gateways talk to each other over mutual TLS on the exchange port.
Each side also gets a ConfigMap recording the agreement (reference, approver, dates),
so an auditor finds the paperwork next to the route. An expired or missing agreement
produces nothing, so no route exists.
"""

from __future__ import annotations

import dataclasses

import pulumi
import pulumi_kubernetes as k8s

from infra.components.segmentation import NamespaceFirewall, Peer
from infra.components.tenancy import ARCHIVE_POD_LABELS
from infra.k8s import TRUST_LABEL, metadata
from infra.model import Cluster, SharingAgreement, Trust, Zone
from infra.ports import EXCHANGE_GATEWAY, EXCHANGE_SERVICE_PORTS

AGREEMENT_LABEL = "imaging.nhs.uk/sharing-agreement"


@dataclasses.dataclass(frozen=True)
class AgreementRoutesArgs:
    agreement: SharingAgreement
    provider: Trust
    consumer: Trust
    provider_cluster: Cluster
    consumer_cluster: Cluster
    local_cluster: Cluster
    zones: dict[str, Zone]


def agreement_record(agreement: SharingAgreement) -> dict[str, str]:
    return {
        "id": agreement.id,
        "reference": agreement.reference,
        "provider": agreement.provider,
        "consumer": agreement.consumer,
        "services": ",".join(agreement.services),
        "purpose": agreement.purpose,
        "approvedBy": agreement.approved_by,
        "approvedOn": agreement.approved_on.isoformat(),
        "expiresOn": agreement.expires_on.isoformat(),
    }


class AgreementRoutes(pulumi.ComponentResource):
    """The local cluster's half (or whole, if both trusts are local) of one agreement."""

    def __init__(self, name: str, args: AgreementRoutesArgs, opts: pulumi.ResourceOptions):
        super().__init__("imaging-cloud:exchange:AgreementRoutes", name, None, opts)
        agreement = args.agreement
        ports = [EXCHANGE_SERVICE_PORTS[s] for s in agreement.services]
        local = args.local_cluster.name
        provider_here = args.provider_cluster.name == local
        consumer_here = args.consumer_cluster.name == local
        same_cluster = provider_here and consumer_here
        exchange_ns = args.zones["exchange"].namespace
        child = pulumi.ResourceOptions(parent=self)
        labels = {AGREEMENT_LABEL: agreement.id}
        annotations = {f"imaging.nhs.uk/agreement-{k}": v for k, v in agreement_record(agreement).items()}
        purpose = f"{agreement.consumer} retrieves from {agreement.provider} under {agreement.reference}"

        def firewall(trust: Trust, suffix: str) -> NamespaceFirewall:
            return NamespaceFirewall(
                trust.namespace, f"{name}-{suffix}", child, {**labels, TRUST_LABEL: trust.ods_code.lower()}
            )

        for trust, role in ((args.provider, "provider"), (args.consumer, "consumer")):
            if (role == "provider" and provider_here) or (role == "consumer" and consumer_here):
                k8s.core.v1.ConfigMap(
                    f"{name}-{role}-record",
                    metadata=metadata(agreement.id, trust.namespace, labels, annotations),
                    data={**agreement_record(agreement), "role": role},
                    opts=child,
                )

        if same_cluster:
            consumer_pods = Peer.namespace_pods(args.consumer.namespace, **ARCHIVE_POD_LABELS)
            provider_pods = Peer.namespace_pods(args.provider.namespace, **ARCHIVE_POD_LABELS)
            firewall(args.provider, "provider").allow_from(
                f"{agreement.id}-from-{agreement.consumer.lower()}", [consumer_pods], ports, purpose, ARCHIVE_POD_LABELS
            )
            firewall(args.consumer, "consumer").allow_to(
                f"{agreement.id}-to-{agreement.provider.lower()}", [provider_pods], ports, purpose, ARCHIVE_POD_LABELS
            )
        else:
            exchange_pods = Peer.namespace_pods(exchange_ns)
            if provider_here:
                firewall(args.provider, "provider").allow_from(
                    f"{agreement.id}-from-exchange", [exchange_pods], ports, purpose, ARCHIVE_POD_LABELS
                )
                zone = NamespaceFirewall(exchange_ns, f"{name}-exchange", child, labels)
                zone.allow_from(
                    f"{agreement.id}-from-{args.consumer_cluster.name}",
                    [Peer.network(args.consumer_cluster.node_cidr)], [EXCHANGE_GATEWAY], purpose,
                )
                zone.allow_to(
                    f"{agreement.id}-to-{agreement.provider.lower()}",
                    [Peer.namespace_pods(args.provider.namespace, **ARCHIVE_POD_LABELS)], ports, purpose,
                )
            if consumer_here:
                firewall(args.consumer, "consumer").allow_to(
                    f"{agreement.id}-to-exchange", [exchange_pods], [EXCHANGE_GATEWAY], purpose, ARCHIVE_POD_LABELS
                )
                zone = NamespaceFirewall(exchange_ns, f"{name}-exchange-out", child, labels)
                zone.allow_from(
                    f"{agreement.id}-from-{agreement.consumer.lower()}",
                    [Peer.namespace_pods(args.consumer.namespace, **ARCHIVE_POD_LABELS)], [EXCHANGE_GATEWAY], purpose,
                )
                zone.allow_to(
                    f"{agreement.id}-to-{args.provider_cluster.name}",
                    [Peer.network(args.provider_cluster.node_cidr)], [EXCHANGE_GATEWAY], purpose,
                )
        self.register_outputs({"agreement": agreement.id})
