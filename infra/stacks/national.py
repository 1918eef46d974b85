"""The national stack: Cluster API on the management cluster, and the security hub."""

from __future__ import annotations

import pulumi

from infra.components.cluster import ClusterClassDefinition, WorkloadCluster, WorkloadClusterArgs, cluster_provider
from infra.components.monitoring import add_security_hub
from infra.model import Estate
from infra.settings import PROJECT, StackSettings
from infra.stacks.contract import hub_contract


def build(estate: Estate, settings: StackSettings) -> None:
    config = pulumi.Config(PROJECT)
    management = estate.hub.management_cluster
    provider = cluster_provider(management, config.require_secret("managementKubeconfig"))
    on_management = pulumi.ResourceOptions(providers={"kubernetes": provider})

    cluster_class = ClusterClassDefinition("cluster-class", estate.hub.oidc, on_management)
    add_security_hub(estate, provider, hub_contract(estate))
    kubeconfigs: dict[str, pulumi.Output[str]] = {}
    clusters: dict[str, dict] = {}
    for region in estate.regions:
        for cluster in region.clusters:
            clusters[cluster.name] = {"region": region.name, "provisioner": cluster.provisioner}
            if cluster.provisioner != "cluster-api":
                continue
            trusts = [t.namespace for t in estate.trusts_in(region.name) if estate.cluster_of(t).name == cluster.name]
            workload = WorkloadCluster(
                cluster.name,
                WorkloadClusterArgs(cluster=cluster, region=region.name, trust_namespaces=trusts,
                                    cluster_class=cluster_class,
                                    datacentre=next(d for d in region.datacentres if d.name == cluster.datacentre)),
                on_management,
            )
            kubeconfigs[cluster.name] = workload.kubeconfig

    pulumi.export("hub", hub_contract(estate))
    pulumi.export("clusters", clusters)
    pulumi.export("kubeconfigs", pulumi.Output.secret(kubeconfigs))
