"""Every trust has its whole archive: the Orthanc service, its index database, its bucket.

A trust namespace without its archive is a trust whose images have nowhere safe to go;
one without its index or bucket is an archive that cannot keep what it receives. The
other archive rules judge these resources only where they exist; this one says they must.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.conventions import (
    ARCHIVE_APP, ARCHIVE_APP_LABEL, TRUST_LABEL, is_replica_namespace, is_trust_namespace,
)
from imaging_policies.core import Context, NotApplicable, Stack, stack_policy
from imaging_policies.k8s import CNPG_CLUSTER, OBJECT_BUCKET_CLAIM, RELEASE, chart_name, release_namespace


def check(stack: Stack, ctx: Context) -> Iterator[tuple[str, str | None]]:
    trusts = [
        ns for ns in stack.objects("Namespace")
        if (TRUST_LABEL in ns.labels or is_trust_namespace(ns.object_name))
        and not is_replica_namespace(ns.object_name, dict(ns.labels))  # standby copies of other regions' indexes
    ]
    if not trusts:
        raise NotApplicable("no trust namespaces in this stack")
    present: dict[str, set[tuple[str, str]]] = {"archive": set(), "index database": set(), "image bucket": set()}
    for workload in stack.objects("Deployment.apps", "StatefulSet.apps"):
        if workload.labels.get(ARCHIVE_APP_LABEL) == ARCHIVE_APP:
            present["archive"].add((workload.cluster, workload.namespace or ""))
    for release in stack.objects(RELEASE):
        if chart_name(release) == ARCHIVE_APP:
            present["archive"].add((release.cluster, release_namespace(release)))
    for database in stack.objects(CNPG_CLUSTER):
        present["index database"].add((database.cluster, database.namespace or ""))
    for claim in stack.objects(OBJECT_BUCKET_CLAIM):
        present["image bucket"].add((claim.cluster, claim.namespace or ""))
    for ns in trusts:
        missing = [what for what, where in present.items() if (ns.cluster, ns.object_name) not in where]
        if missing:
            yield (f"trust namespace {ns.object_name} has no {', no '.join(missing)} "
                   f"(vna-archive Deployment, CloudNativePG Cluster, ObjectBucketClaim)"), ns.urn


POLICY = stack_policy(
    check,
    id="trust-archive-complete",
    severity="high",
    description="Every trust namespace has its vna-archive, its CloudNativePG index database and its object bucket.",
    remediation=(
        "1. Deploy the trust's archive component (charts/vna-archive, CloudNativePG Cluster, "
        "ObjectBucketClaim) with its tenancy.\n"
        "2. A trust being onboarded in stages can stay advisory; see pack-config.yaml."
    ),
    controls=(ncsc(2), ndg(7)),
)
