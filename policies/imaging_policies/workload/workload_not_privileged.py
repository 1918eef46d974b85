"""No container runs privileged.

A privileged container has every capability and every device of the node: it can read
any trust's volumes and escape to the host. Pod Security "restricted" forbids it.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.core import Context, Resource, resource_policy
from imaging_policies.k8s import WORKLOAD_KINDS, container_name, containers, restricted_pod


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    path, pod = restricted_pod(resource)
    for cpath, container in containers(path, pod):
        if (container.get("securityContext") or {}).get("privileged") is True:
            yield f"{cpath}.securityContext.privileged is true{container_name(container)}: remove it"


POLICY = resource_policy(
    check,
    applies_to=WORKLOAD_KINDS,
    id="workload-not-privileged",
    severity="critical",
    description="No container outside the privileged platform namespaces runs privileged.",
    remediation="1. Remove securityContext.privileged (or set it to false) on every container.",
    controls=(ncsc(3), ndg(9), cis("5.2.2")),
)
