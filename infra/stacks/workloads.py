"""What every workload cluster runs: zones, trust tenancy, exchange routes.

Shared by the ``region`` and ``dev`` stacks so that dev is the same code on a smaller
estate, not a variant of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.components.archive import ArchiveReplica, ArchiveReplicaArgs, ArchiveStore, ArchiveStoreArgs, Peer
from infra.components.gateways import (
    CrossRegionAgreement,
    ZoneGateway,
    ZoneGatewayArgs,
    exchange_routes,
    ingress_routes,
)
from infra.components.exchange import AgreementRoutes, AgreementRoutesArgs
from infra.components.monitoring import add_security_agents
from infra.components.storage import RegionalStorage, RegionalStorageArgs
from infra.components.tenancy import TrustTenancy, TrustTenancyArgs
from infra.components.zones import PlatformZones, PlatformZonesArgs
from infra.model import Cluster, Estate, SharingAgreement, Trust, Zone
from infra.settings import POD_SECURITY_VERSION
from infra.stacks.contract import hub_contract

#: Said on the security agents of a local control plane (see docs/adr/0005-real-engine.md).
LOCAL_CONTROL_PLANE_REASON = (
    "local control plane: no kubelet runs the agents and no chart repository is reachable; "
    "production clusters always install them"
)


def build_cluster_workloads(
    estate: Estate,
    region_name: str,
    cluster: Cluster,
    provider: k8s.Provider,
    hub: pulumi.Input[dict[str, Any]],
    as_of: dt.date,
    local_control_plane: bool = False,
) -> dict[str, Any]:
    """Create everything the platform runs on ``cluster``; return the stack's exports."""
    trusts = [t for t in estate.trusts_in(region_name) if estate.cluster_of(t).name == cluster.name]
    zones = {z.name: z for z in estate.zones}
    on_cluster = pulumi.ResourceOptions(providers={"kubernetes": provider})

    # The archives' charts render in Helm's Go code on the other core (infra.helm): start
    # them all before anything else, so they are ready by the time the stores register.
    live = estate.live_agreements(as_of)
    high_availability = cluster.worker_replicas >= 3
    archives = {trust.ods_code: _archive_args(estate, cluster, region_name, zones, trust, live, high_availability,
                                              local_control_plane) for trust in trusts}
    ArchiveStore.prepare(list(archives.values()))

    platform = PlatformZones(
        f"{cluster.name}-zones",
        PlatformZonesArgs(
            cluster=cluster,
            region=region_name,
            zones=zones,
            trusts=trusts,
            hub_networks=hub_contract(estate)["networks"],
            pod_security_version=POD_SECURITY_VERSION,
        ),
        on_cluster,
    )
    after_zones = pulumi.ResourceOptions(providers={"kubernetes": provider}, depends_on=[platform])
    add_security_agents(
        estate, region_name, cluster, provider, hub, as_of, depends_on=[platform],
        releases_skipped_because=LOCAL_CONTROL_PLANE_REASON if local_control_plane else None,
    )

    tenancies: dict[str, TrustTenancy] = {}
    for trust in trusts:
        tenancies[trust.ods_code] = TrustTenancy(
            trust.namespace,
            TrustTenancyArgs(
                trust=trust,
                cluster=cluster,
                retention=estate.retention(trust.retention_class),
                zones=zones,
                oidc_groups_prefix=estate.hub.oidc.groups_prefix,
                pod_security_version=POD_SECURITY_VERSION,
            ),
            after_zones,
        )

    storage = RegionalStorage(
        f"{cluster.name}-storage",
        RegionalStorageArgs(
            cluster=cluster,
            region=region_name,
            system_namespace=zones["system"].namespace,
            master_region=estate.hub.region,
            master_endpoint=f"https://rgw.{estate.hub.region}.imaging.nhs.uk",
        ),
        after_zones,
    )

    for trust in trusts:
        ArchiveStore(
            f"{trust.namespace}-archive",
            archives[trust.ods_code],
            pulumi.ResourceOptions(providers={"kubernetes": provider}, depends_on=[tenancies[trust.ods_code], storage]),
        )

    replicated = [
        t for r in estate.regions if r.replica_region == region_name and cluster is estate.region(region_name).workload_cluster
        for t in estate.trusts_in(r.name)
    ]
    for trust in replicated:
        ArchiveReplica(
            f"{trust.namespace}-replica",
            ArchiveReplicaArgs(
                trust=trust,
                primary_region=trust.region,
                system_namespace=zones["system"].namespace,
                pod_security_version=POD_SECURITY_VERSION,
            ),
            pulumi.ResourceOptions(providers={"kubernetes": provider}, depends_on=[storage]),
        )

    replicas = 2 if high_availability else 1
    if trusts:
        ZoneGateway(
            f"{cluster.name}-ingress-gateway",
            ZoneGatewayArgs("ingress", zones["ingress"].namespace, ingress_routes(trusts), replicas, local_control_plane),
            after_zones,
        )
    cross_region = []
    for a in live:
        provider_trust, consumer_trust = estate.trust(a.provider), estate.trust(a.consumer)
        pc, cc = estate.cluster_of(provider_trust), estate.cluster_of(consumer_trust)
        if pc.name != cc.name and cluster.name in (pc.name, cc.name):
            cross_region.append(CrossRegionAgreement(a.id, provider_trust, consumer_trust, pc, cc, provider_trust.region))
    if cross_region:
        ZoneGateway(
            f"{cluster.name}-exchange-gateway",
            ZoneGatewayArgs("exchange", zones["exchange"].namespace, exchange_routes(cluster, cross_region), replicas,
                            local_control_plane),
            after_zones,
        )

    routes = []
    for agreement in live:
        provider_trust, consumer_trust = estate.trust(agreement.provider), estate.trust(agreement.consumer)
        provider_cluster, consumer_cluster = estate.cluster_of(provider_trust), estate.cluster_of(consumer_trust)
        if cluster.name not in (provider_cluster.name, consumer_cluster.name):
            continue
        local = [tenancies[t.ods_code] for t in (provider_trust, consumer_trust) if t.ods_code in tenancies]
        AgreementRoutes(
            agreement.id,
            AgreementRoutesArgs(
                agreement=agreement,
                provider=provider_trust,
                consumer=consumer_trust,
                provider_cluster=provider_cluster,
                consumer_cluster=consumer_cluster,
                local_cluster=cluster,
                zones=zones,
            ),
            pulumi.ResourceOptions(providers={"kubernetes": provider}, depends_on=local),
        )
        routes.append(agreement.id)

    return {
        "region": region_name,
        "cluster": cluster.name,
        "trusts": {t.ods_code: t.namespace for t in trusts},
        "sharingAgreements": routes,
        "replicasHosted": [t.ods_code for t in replicated],
        "hub": hub,
    }


def _archive_args(
    estate: Estate,
    cluster: Cluster,
    region_name: str,
    zones: dict[str, Zone],
    trust: Trust,
    live: list[SharingAgreement],
    high_availability: bool,
    local_control_plane: bool,
) -> ArchiveStoreArgs:
    """A trust's archive: its zones, retention, replica region and the agreements it is party to."""

    def peer(other: str, agreement: SharingAgreement) -> Peer:
        other_trust = estate.trust(other)
        return Peer(other_trust, agreement.id, tuple(agreement.services),
                    estate.cluster_of(other_trust).name != cluster.name)

    return ArchiveStoreArgs(
        trust=trust,
        retention=estate.retention(trust.retention_class),
        replica_region=estate.region(region_name).replica_region,
        system_namespace=zones["system"].namespace,
        ingress_namespace=zones["ingress"].namespace,
        monitoring_namespace=zones["monitoring"].namespace,
        exchange_namespace=zones["exchange"].namespace,
        peers=tuple(peer(a.provider, a) for a in live if a.consumer == trust.ods_code),
        consumers=tuple(peer(a.consumer, a) for a in live if a.provider == trust.ods_code),
        high_availability=high_availability,
        skip_await=local_control_plane,
    )
