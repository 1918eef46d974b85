"""Every container drops all Linux capabilities and adds back at most NET_BIND_SERVICE.

Capabilities such as NET_RAW (spoofing other pods' traffic) or SYS_ADMIN (nearly root)
are granted by default; an archive needs none of them. This is the Pod Security
"restricted" rule.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.core import Context, Resource, dig, resource_policy
from imaging_policies.k8s import WORKLOAD_KINDS, container_name, containers, restricted_pod

ALLOWED_ADD = frozenset({"NET_BIND_SERVICE"})


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    path, pod = restricted_pod(resource)
    for cpath, container in containers(path, pod):
        name = container_name(container)
        drop = dig(container, "securityContext", "capabilities", "drop", default=[]) or []
        if "ALL" not in drop:
            yield f"{cpath}.securityContext.capabilities.drop does not contain 'ALL'{name}"
        added = set(dig(container, "securityContext", "capabilities", "add", default=[]) or []) - ALLOWED_ADD
        if added:
            yield f"{cpath}.securityContext.capabilities.add grants {', '.join(sorted(added))}{name}: remove them"


POLICY = resource_policy(
    check,
    applies_to=WORKLOAD_KINDS,
    id="workload-drops-all-capabilities",
    severity="medium",
    description="Every container drops ALL capabilities and adds none but NET_BIND_SERVICE.",
    remediation=(
        "1. Set securityContext.capabilities.drop: [ALL] on every container.\n"
        "2. Remove capabilities.add; listen on ports above 1024 instead of adding NET_BIND_SERVICE."
    ),
    controls=(ncsc(3), ndg(9), cis("5.2.8"), cis("5.2.9"), cis("5.2.10")),
)
