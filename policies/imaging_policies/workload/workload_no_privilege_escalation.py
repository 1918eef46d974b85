"""No container can gain more privileges than it started with.

``allowPrivilegeEscalation: false`` sets no_new_privs, so setuid binaries inside the image
cannot turn a compromised archive process into root. Kubernetes defaults it to true.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.core import Context, Resource, resource_policy
from imaging_policies.k8s import WORKLOAD_KINDS, container_name, containers, restricted_pod


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    path, pod = restricted_pod(resource)
    for cpath, container in containers(path, pod):
        if (container.get("securityContext") or {}).get("allowPrivilegeEscalation") is not False:
            yield f"{cpath}.securityContext.allowPrivilegeEscalation is not false{container_name(container)}"


POLICY = resource_policy(
    check,
    applies_to=WORKLOAD_KINDS,
    id="workload-no-privilege-escalation",
    severity="high",
    description="Every container sets allowPrivilegeEscalation to false.",
    remediation="1. Set securityContext.allowPrivilegeEscalation: false on every container.",
    controls=(ncsc(3), ndg(9), cis("5.2.6")),
)
