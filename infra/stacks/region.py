"""A region stack: the contents of one region's workload cluster(s).

Everything national comes through the StackReference: the hub endpoints and the
kubeconfig of a Cluster API cluster. A brought (``existing``) cluster's kubeconfig
comes from this stack's secret config ``imaging-cloud:kubeconfig`` instead.
"""

from __future__ import annotations

import pulumi

from infra.components.cluster import cluster_provider
from infra.model import Estate
from infra.settings import PROJECT, StackSettings
from infra.stacks.workloads import build_cluster_workloads


def build(estate: Estate, settings: StackSettings) -> None:
    config = pulumi.Config(PROJECT)
    region = estate.region(settings.region)
    national = pulumi.StackReference(settings.national_stack)
    hub = national.require_output("hub")
    exports = {}
    for cluster in region.clusters:
        if cluster.provisioner == "cluster-api":
            kubeconfig = national.require_output("kubeconfigs").apply(lambda k, name=cluster.name: k[name])
        else:
            kubeconfig = config.require_secret("kubeconfig")
        provider = cluster_provider(cluster, kubeconfig)
        exports[cluster.name] = build_cluster_workloads(
            estate, region.name, cluster, provider, hub, settings.agreements_date, settings.local_control_plane
        )
    pulumi.export("clusters", exports)
