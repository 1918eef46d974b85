"""The dev stack: one region of the dev estate on a local, brought cluster.

Same workloads as a region stack; the hub contract is computed from the estate instead
of read from a national stack, because a laptop has no national stack.
"""

from __future__ import annotations

import pulumi

from infra.components.cluster import cluster_provider
from infra.model import Estate
from infra.settings import PROJECT, StackSettings
from infra.stacks.contract import hub_contract
from infra.stacks.workloads import build_cluster_workloads


def build(estate: Estate, settings: StackSettings) -> None:
    config = pulumi.Config(PROJECT)
    region = estate.region(settings.region)
    cluster = region.workload_cluster
    provider = cluster_provider(cluster, config.require_secret("kubeconfig"))
    exports = build_cluster_workloads(
        estate, region.name, cluster, provider, hub_contract(estate), settings.agreements_date, settings.local_control_plane
    )
    pulumi.export("clusters", {cluster.name: exports})
