"""Platform zones: the namespaces the platform team runs on every workload cluster.

Each zone gets the same default-deny firewall as a trust, plus only the flows its job
needs. Nothing reaches a trust namespace except the flows declared here and in
:mod:`infra.components.tenancy` / :mod:`infra.components.exchange`.
"""

from __future__ import annotations

import dataclasses

import pulumi
import pulumi_kubernetes as k8s

from infra.components.segmentation import NamespaceFirewall, Peer
from infra.components.tenancy import COLLECTOR_POD_LABELS
from infra.k8s import REGION_LABEL, ZONE_LABEL, metadata
from infra.model import Cluster, Trust, Zone
from infra.ports import (
    ARCHIVE_DICOM_TLS,
    ARCHIVE_HTTPS,
    CNPG_STATUS,
    INGRESS_DICOM_TLS,
    INGRESS_HTTPS,
    KUBE_API,
    OBJECT_STORE_HTTPS,
    OTLP,
    POSTGRES,
    Port,
)

#: Pod Security level per zone, with the reason a zone is not ``restricted``.
ZONE_POD_SECURITY: dict[str, tuple[str, str]] = {
    "ingress": ("restricted", ""),
    "exchange": ("restricted", ""),
    "monitoring": ("privileged", "Falco loads eBPF probes and the log shipper reads node log files"),
    "system": ("privileged", "Rook-Ceph OSD and CSI pods need host devices"),
}
HUB_INGEST = Port(443, name="hub-mtls")


@dataclasses.dataclass(frozen=True)
class PlatformZonesArgs:
    cluster: Cluster
    region: str
    zones: dict[str, Zone]
    trusts: list[Trust]
    hub_networks: list[str]
    pod_security_version: str


class PlatformZones(pulumi.ComponentResource):
    """Ingress (DMZ), exchange, monitoring and system namespaces with their firewalls."""

    def __init__(self, name: str, args: PlatformZonesArgs, opts: pulumi.ResourceOptions):
        super().__init__("imaging-cloud:segmentation:PlatformZones", name, None, opts)
        self.namespaces: dict[str, k8s.core.v1.Namespace] = {}
        trusts = [Peer.namespace_pods(t.namespace) for t in args.trusts]
        hospital_networks = [Peer.network(cidr) for t in args.trusts for cidr in t.hospital_networks]
        api_server = [Peer.network(args.cluster.node_cidr)]

        for zone in args.zones.values():
            level, reason = ZONE_POD_SECURITY[zone.name]
            labels = {ZONE_LABEL: zone.name, REGION_LABEL: args.region}
            annotations = {"imaging.nhs.uk/purpose": zone.purpose}
            if reason:
                annotations["imaging.nhs.uk/pod-security-exception"] = reason
            namespace = k8s.core.v1.Namespace(
                f"{name}-{zone.name}",
                metadata=metadata(
                    zone.namespace,
                    labels={
                        **labels,
                        "pod-security.kubernetes.io/enforce": level,
                        "pod-security.kubernetes.io/enforce-version": args.pod_security_version,
                        "pod-security.kubernetes.io/audit": "restricted",
                        "pod-security.kubernetes.io/warn": "restricted",
                    },
                    annotations=annotations,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.namespaces[zone.name] = namespace
            fw = NamespaceFirewall(
                zone.namespace,
                f"{name}-{zone.name}-netpol",
                pulumi.ResourceOptions(parent=self, depends_on=[namespace]),
                labels,
            )
            fw.isolate()
            if zone.name == "ingress" and args.trusts:
                fw.allow_from("allow-from-hospital-networks", hospital_networks, [INGRESS_HTTPS, INGRESS_DICOM_TLS],
                              "DICOMweb and DICOM-TLS from the trusts' registered hospital networks")
                fw.allow_to("allow-to-trust-archives", trusts, [ARCHIVE_HTTPS, ARCHIVE_DICOM_TLS],
                            "Routes each hospital's traffic to its own trust's archive")
            if zone.name == "monitoring":
                if args.trusts:
                    fw.allow_from("allow-telemetry-from-trusts", trusts, [OTLP], "Telemetry from trust workloads",
                                  COLLECTOR_POD_LABELS)
                    fw.allow_to("allow-metrics-scrape", trusts, [ARCHIVE_HTTPS], "Scrape archive metrics")
                fw.allow_to("allow-to-national-hub", [Peer.network(c) for c in args.hub_networks], [HUB_INGEST],
                            "Events, logs and metrics to the national security hub over mTLS")
                fw.allow_to("allow-to-api-server", api_server, [KUBE_API], "Agents watch the Kubernetes API")
            if zone.name == "system":
                fw.allow_to("allow-to-api-server", api_server, [KUBE_API], "Operators reconcile through the API")
                if args.trusts:
                    fw.allow_to("allow-to-trust-databases", trusts, [CNPG_STATUS, POSTGRES],
                                "The PostgreSQL operator manages each trust's index database")
                    fw.allow_from("allow-object-store-from-trusts", trusts, [OBJECT_STORE_HTTPS],
                                  "Trust archives and backups write to the object store")
        self.register_outputs({"zones": {z: n.id for z, n in self.namespaces.items()}})
