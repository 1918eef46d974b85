"""What every workload cluster runs: zones, trust tenancy, exchange routes.

Shared by the ``region`` and ``dev`` stacks so that dev is the same code on a smaller
estate, not a variant of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.components.exchange import AgreementRoutes, AgreementRoutesArgs
from infra.components.tenancy import TrustTenancy, TrustTenancyArgs
from infra.components.zones import PlatformZones, PlatformZonesArgs
from infra.model import Cluster, Estate
from infra.settings import POD_SECURITY_VERSION
from infra.stacks.contract import hub_contract


def build_cluster_workloads(
    estate: Estate,
    region_name: str,
    cluster: Cluster,
    provider: k8s.Provider,
    hub: pulumi.Input[dict[str, Any]],
    as_of: dt.date,
) -> dict[str, Any]:
    """Create everything the platform runs on ``cluster``; return the stack's exports."""
    trusts = [t for t in estate.trusts_in(region_name) if estate.cluster_of(t).name == cluster.name]
    zones = {z.name: z for z in estate.zones}
    on_cluster = pulumi.ResourceOptions(providers={"kubernetes": provider})

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

    routes = []
    for agreement in estate.live_agreements(as_of):
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
        "hub": hub,
    }
