"""Every container runs as a non-root user.

Root in a container is root on the node as soon as anything else goes wrong (a kernel bug,
a writable host mount). ``runAsNonRoot: true`` makes the kubelet refuse to start a
container whose image would run as UID 0, and ``runAsUser: 0`` is refused outright.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.core import Context, Resource, resource_policy
from imaging_policies.k8s import WORKLOAD_KINDS, container_name, containers, effective, restricted_pod


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    path, pod = restricted_pod(resource)
    for cpath, container in containers(path, pod):
        name = container_name(container)
        if effective(pod, container, "runAsNonRoot") is not True:
            yield (f"{cpath}.securityContext.runAsNonRoot (or {path}.securityContext.runAsNonRoot) "
                   f"is not true{name}")
        if effective(pod, container, "runAsUser") == 0:
            yield f"{cpath}.securityContext.runAsUser is 0{name}: use the image's unprivileged UID"


POLICY = resource_policy(
    check,
    applies_to=WORKLOAD_KINDS,
    id="workload-runs-as-non-root",
    severity="high",
    description="Every container runs with runAsNonRoot true and a non-zero user id.",
    remediation=(
        "1. Set securityContext.runAsNonRoot: true on the pod (or each container).\n"
        "2. Set runAsUser to the image's unprivileged user (999 for Orthanc)."
    ),
    controls=(ncsc(3), ndg(9), cis("5.2.7")),
)
