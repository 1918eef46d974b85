"""Every container's root filesystem is read-only.

An attacker who gets code execution in an archive cannot then modify its binaries or
configuration, and nothing written by the process survives a restart. Writable paths
are explicit emptyDir or volume mounts.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.core import Context, Resource, resource_policy
from imaging_policies.k8s import WORKLOAD_KINDS, container_name, containers, restricted_pod


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    path, pod = restricted_pod(resource)
    for cpath, container in containers(path, pod):
        if (container.get("securityContext") or {}).get("readOnlyRootFilesystem") is not True:
            yield f"{cpath}.securityContext.readOnlyRootFilesystem is not true{container_name(container)}"


POLICY = resource_policy(
    check,
    applies_to=WORKLOAD_KINDS,
    id="workload-read-only-root-filesystem",
    severity="medium",
    description="Every container runs with a read-only root filesystem.",
    remediation=(
        "1. Set securityContext.readOnlyRootFilesystem: true.\n"
        "2. Mount an emptyDir (with sizeLimit) on the paths the process writes, e.g. /tmp."
    ),
    controls=(ncsc(5), ndg(9), cis("5.7.3")),
)
