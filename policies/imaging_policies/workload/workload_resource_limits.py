"""Every container requests and is limited in CPU and memory.

Trusts share nodes. Without limits, one trust's archive ingesting a burst of studies can
starve its neighbours (a denial of service across the tenant boundary); without requests
the scheduler cannot place pods so that the limits hold.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.core import Context, Resource, dig, resource_policy
from imaging_policies.k8s import WORKLOAD_KINDS, container_name, containers, restricted_pod


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    path, pod = restricted_pod(resource)
    for cpath, container in containers(path, pod):
        if ".ephemeralContainers[" in cpath:
            continue  # debugging containers cannot set resources
        for section in ("requests", "limits"):
            for resource_name in ("cpu", "memory"):
                if dig(container, "resources", section, resource_name) in (None, ""):
                    yield f"{cpath}.resources.{section}.{resource_name} is not set{container_name(container)}"


POLICY = resource_policy(
    check,
    applies_to=WORKLOAD_KINDS,
    id="workload-resource-limits",
    severity="medium",
    description="Every container sets CPU and memory requests and limits.",
    remediation="1. Set resources.requests and resources.limits (cpu and memory) on every container.",
    controls=(ncsc(2), ncsc(3), ndg(9)),
)
