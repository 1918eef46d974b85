"""Pods that do not call the Kubernetes API get no API token.

A mounted service account token lets whoever compromises the pod talk to the API server
as that account. Archives never call the API, so trust workloads must opt out; platform
workloads that do need it must use a dedicated service account, never ``default``.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.conventions import is_trust_namespace
from imaging_policies.core import Context, Resource, resource_policy
from imaging_policies.k8s import WORKLOAD_KINDS, restricted_pod


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    path, pod = restricted_pod(resource)
    mounted = pod.get("automountServiceAccountToken") is not False
    account = pod.get("serviceAccountName") or pod.get("serviceAccount") or "default"
    if is_trust_namespace(resource.namespace) and mounted:
        yield f"{path}.automountServiceAccountToken is not false: trust workloads never call the Kubernetes API"
    elif mounted and account == "default":
        yield (f"{path}.serviceAccountName is 'default' with a mounted token: set automountServiceAccountToken: "
               "false or use a dedicated service account")


POLICY = resource_policy(
    check,
    applies_to=WORKLOAD_KINDS,
    id="workload-service-account-token-not-mounted",
    severity="medium",
    description="Trust workloads mount no service account token, and no workload mounts the default account's token.",
    remediation=(
        "1. Set automountServiceAccountToken: false in the pod template.\n"
        "2. A platform workload that needs the API gets its own ServiceAccount and Role."
    ),
    controls=(ncsc(9), ndg(4), cis("5.1.6")),
)
