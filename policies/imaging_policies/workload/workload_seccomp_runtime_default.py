"""Every container runs under the runtime's default seccomp profile (or a local one).

Seccomp removes the rarely used system calls through which most container escapes go.
Kubernetes runs pods Unconfined unless told otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.core import Context, Resource, resource_policy
from imaging_policies.k8s import WORKLOAD_KINDS, container_name, containers, effective, restricted_pod

ALLOWED = frozenset({"RuntimeDefault", "Localhost"})


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    path, pod = restricted_pod(resource)
    for cpath, container in containers(path, pod):
        profile = effective(pod, container, "seccompProfile") or {}
        kind = profile.get("type") if isinstance(profile, dict) else None
        if kind not in ALLOWED:
            shown = f"is {kind!r}" if kind else "is not set"
            yield (f"{cpath}.securityContext.seccompProfile.type (or {path}.securityContext.seccompProfile.type) "
                   f"{shown}{container_name(container)}: use RuntimeDefault")


POLICY = resource_policy(
    check,
    applies_to=WORKLOAD_KINDS,
    id="workload-seccomp-runtime-default",
    severity="medium",
    description="Every container runs with a RuntimeDefault or Localhost seccomp profile.",
    remediation="1. Set securityContext.seccompProfile.type: RuntimeDefault on the pod.",
    controls=(ncsc(3), ndg(9), cis("5.7.2")),
)
