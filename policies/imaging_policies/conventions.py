"""Facts about the estate the policies rely on, named once.

They mirror what the Pulumi program writes (``infra/k8s.py``, ``infra/components/*``);
the pack does not import ``infra`` so that it can run anywhere pulumi-policy runs. Where a
policy relies on a naming convention, another policy enforces that convention
(``trust-namespace-identifies-trust`` for ``trust-<ods>``, ``namespace-pod-security-enforced``
for the privileged exceptions), so the convention cannot drift silently.
"""

from __future__ import annotations

import math

#: The approved national container registry (a mirror); nothing is pulled from elsewhere.
APPROVED_REGISTRY = "registry.imaging.nhs.uk"
#: DNS domain of the national security hub's ingestion endpoints.
HUB_DOMAIN = "hub.imaging.nhs.uk"
#: Public suffix of NHS-operated services; endpoints outside it leave the estate.
NHS_DOMAIN = "nhs.uk"

TRUST_NAMESPACE_PREFIX = "trust-"
ZONE_NAMESPACE_PREFIX = "zone-"
INGRESS_ZONE = "zone-ingress"
EXCHANGE_ZONE = "zone-exchange"
MONITORING_ZONE = "zone-monitoring"
SYSTEM_ZONE = "zone-system"
#: Namespaces allowed to run privileged pods (Falco's probes, Rook's OSDs, the control plane).
PRIVILEGED_NAMESPACES = frozenset({MONITORING_ZONE, SYSTEM_ZONE, "kube-system"})
#: The national security hub's namespace on the management cluster (not a workload cluster).
HUB_NAMESPACE = "security-hub"
#: The most relaxed Pod Security level each exempted namespace may enforce.
RELAXED_POD_SECURITY = {
    MONITORING_ZONE: "privileged", SYSTEM_ZONE: "privileged", "kube-system": "privileged",
    HUB_NAMESPACE: "baseline",  # chart init containers that values cannot restrict
}

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
TRUST_LABEL = "imaging.nhs.uk/trust"
ZONE_LABEL = "imaging.nhs.uk/zone"
REGION_LABEL = "imaging.nhs.uk/region"
#: On a namespace holding a standby copy of another region's trust index (``replica-<ods>``).
REPLICA_LABEL = "imaging.nhs.uk/replica-of"
REPLICA_NAMESPACE_PREFIX = "replica-"
REPLICA_ODS_ANNOTATION = "imaging.nhs.uk/ods-code-replica"
AGREEMENT_LABEL = "imaging.nhs.uk/sharing-agreement"
AGREEMENT_ANNOTATION = "imaging.nhs.uk/agreement-"
ODS_ANNOTATION = "imaging.nhs.uk/ods-code"
ORGANISATION_ANNOTATION = "imaging.nhs.uk/organisation"
RETENTION_CLASS_ANNOTATION = "imaging.nhs.uk/retention-class"
WORM_DAYS_ANNOTATION = "imaging.nhs.uk/retention-worm-days"
PSS_ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
PSS_EXCEPTION_ANNOTATION = "imaging.nhs.uk/pod-security-exception"
#: Where a cluster declares its site (Cluster API Cluster objects).
COUNTRY_ANNOTATION = "imaging.nhs.uk/country"
DATACENTRE_ANNOTATION = "imaging.nhs.uk/datacentre"
UK_COUNTRY_CODE = "GB"
ARCHIVE_APP_LABEL = "app.kubernetes.io/name"
ARCHIVE_APP = "vna-archive"

#: OIDC prefix of identity-provider groups: keeps them apart from ``system:`` groups.
OIDC_GROUP_PREFIX = "oidc:"

#: The smallest object-lock period any trust may have: 8 years after last contact for an
#: adult (NHS Records Management Code of Practice 2021), 365.25 days a year so a floor in
#: days never falls short of the years.
MINIMUM_WORM_DAYS = math.ceil(8 * 365.25)

#: Resources whose deletion loses patient images, their index, or the machines holding them.
DATA_HOLDING_KINDS = frozenset({
    "Cluster.postgresql.cnpg.io",       # a trust's archive index (CloudNativePG)
    "ObjectBucketClaim.objectbucket.io",  # a trust's image bucket (Rook)
    "CephObjectStore.ceph.rook.io",     # the object store of a cluster
    "CephObjectZone.ceph.rook.io",      # a multisite zone: owns the object store's pools
    "CephCluster.ceph.rook.io",
    "CephBlockPool.ceph.rook.io",
    "CephFilesystem.ceph.rook.io",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "Cluster.cluster.x-k8s.io",         # deleting it deletes every machine of a region
})


def is_trust_namespace(namespace: str | None) -> bool:
    return bool(namespace) and namespace.startswith(TRUST_NAMESPACE_PREFIX)


def is_replica_namespace(namespace: str | None, labels: dict | None = None) -> bool:
    return bool(namespace) and (namespace.startswith(REPLICA_NAMESPACE_PREFIX) or REPLICA_LABEL in (labels or {}))


def is_zone_namespace(namespace: str | None) -> bool:
    return bool(namespace) and namespace.startswith(ZONE_NAMESPACE_PREFIX)
