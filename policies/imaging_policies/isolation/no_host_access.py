"""Pods share nothing with the node: no host network, PID or IPC namespace, paths or ports.

A pod on the host network sees every trust's traffic on that node; a hostPath mount or
host PID namespace reaches other pods' files and processes. Only the privileged platform
namespaces (security agents, storage) may do this, and they are listed in one place.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.conventions import PRIVILEGED_NAMESPACES
from imaging_policies.core import Context, NotApplicable, Resource, resource_policy
from imaging_policies.k8s import WORKLOAD_KINDS, container_name, containers, pod_spec


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    if resource.namespace in PRIVILEGED_NAMESPACES:
        raise NotApplicable("privileged platform namespace")
    path, pod = pod_spec(resource)
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field) is True:
            yield f"{path}.{field} is true: remove it"
    for index, volume in enumerate(pod.get("volumes") or []):
        if isinstance(volume, dict) and "hostPath" in volume:
            yield f"{path}.volumes[{index}].hostPath mounts a node path: use an emptyDir or a PersistentVolumeClaim"
    for cpath, container in containers(path, pod):
        for index, port in enumerate(container.get("ports") or []):
            if isinstance(port, dict) and port.get("hostPort"):
                yield f"{cpath}.ports[{index}].hostPort is set{container_name(container)}: remove it"


POLICY = resource_policy(
    check,
    applies_to=WORKLOAD_KINDS,
    id="no-host-access",
    severity="critical",
    description="No workload outside the privileged platform namespaces uses the host's network, PID or IPC namespace, paths or ports.",
    remediation=(
        "1. Remove hostNetwork/hostPID/hostIPC, hostPath volumes and hostPort from the pod template.\n"
        "2. If the workload is a platform agent that needs host access, deploy it in zone-monitoring "
        "or zone-system, whose Pod Security exception is documented."
    ),
    controls=(ncsc(3), ndg(9), cis("5.2.3"), cis("5.2.4"), cis("5.2.5"), cis("5.2.12"), cis("5.2.13")),
)
