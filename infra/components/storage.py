"""Regional storage of the private cloud: Ceph object store (multisite) and block storage.

Each workload cluster runs a Rook-Ceph object store that is one *zone* of the national
realm ``nhs-imaging`` / zone group ``uk``: Ceph RGW multisite replicates every bucket to
the other zones, so a trust's images exist in its replica region without any
application copying them. Server-side encryption uses the national Vault (KMS); the
gateways serve TLS only. Pools are preserved when their Kubernetes objects are deleted,
and those objects are protected and retained by Pulumi: images must survive any change
to this code.
"""

from __future__ import annotations

import dataclasses

import pulumi
import pulumi_kubernetes as k8s

from infra.k8s import REGION_LABEL, metadata
from infra.model import Cluster

ROOK = "ceph.rook.io/v1"
REALM = "nhs-imaging"
ZONE_GROUP = "uk"
OBJECT_STORE = "archive-objects"
OBJECT_STORAGE_CLASS = "archive-objects"
BLOCK_STORAGE_CLASS = "archive-block"
VAULT_ADDRESS = "https://vault.imaging.nhs.uk:8200"
#: Never lose data through these objects: see the module docstring.
DATA_HOLDING = pulumi.ResourceOptions(protect=True, retain_on_delete=True)


def object_store_endpoint(system_namespace: str) -> str:
    """The S3 endpoint of a cluster's object store, from inside that cluster."""
    return f"https://rook-ceph-rgw-{OBJECT_STORE}.{system_namespace}.svc:443"


@dataclasses.dataclass(frozen=True)
class RegionalStorageArgs:
    cluster: Cluster
    region: str
    system_namespace: str
    #: The zone that created the realm; other zones pull the realm from it.
    master_region: str
    master_endpoint: str


class RegionalStorage(pulumi.ComponentResource):
    """The cluster's object-store zone and storage classes."""

    def __init__(self, name: str, args: RegionalStorageArgs, opts: pulumi.ResourceOptions):
        super().__init__("imaging-cloud:storage:RegionalStorage", name, None, opts)
        ns = args.system_namespace
        labels = {REGION_LABEL: args.region}
        keep = pulumi.ResourceOptions.merge(pulumi.ResourceOptions(parent=self), DATA_HOLDING)

        def rook(kind: str, obj_name: str, spec: dict, depends: list | None = None) -> pulumi.CustomResource:
            return k8s.apiextensions.CustomResource(
                f"{name}-{kind.lower()}",
                api_version=ROOK,
                kind=kind,
                metadata=metadata(obj_name, ns, labels),
                spec=spec,
                opts=pulumi.ResourceOptions.merge(keep, pulumi.ResourceOptions(depends_on=depends or [])),
            )

        realm_spec = {} if args.region == args.master_region else {"pull": {"endpoint": args.master_endpoint}}
        realm = rook("CephObjectRealm", REALM, realm_spec)
        zone_group = rook("CephObjectZoneGroup", ZONE_GROUP, {"realm": REALM}, [realm])
        zone = rook("CephObjectZone", args.region, {
            "zoneGroup": ZONE_GROUP,
            "metadataPool": {"failureDomain": "host", "replicated": {"size": 3}},
            # Erasure coding 4+2 survives two lost hosts at 1.5x raw capacity.
            "dataPool": {"failureDomain": "host", "erasureCoded": {"dataChunks": 4, "codingChunks": 2}},
            "preservePoolsOnDelete": True,
        }, [zone_group])
        kms = {
            "connectionDetails": {
                "KMS_PROVIDER": "vault",
                "VAULT_ADDR": VAULT_ADDRESS,
                "VAULT_BACKEND_PATH": f"rgw-{args.region}",
                "VAULT_SECRET_ENGINE": "transit",
            },
            "tokenSecretName": "rgw-vault-token",
        }
        self.object_store = rook("CephObjectStore", OBJECT_STORE, {
            "zone": {"name": args.region},
            "gateway": {"securePort": 443, "sslCertificateRef": "rgw-tls", "instances": 3},
            # SSE-KMS and SSE-S3 keys come from the national Vault.
            "security": {"kms": kms, "s3": kms},
            "preservePoolsOnDelete": True,
        }, [zone])

        provisioner_opts = pulumi.ResourceOptions(parent=self, depends_on=[self.object_store])
        k8s.storage.v1.StorageClass(
            f"{name}-objects",
            metadata=metadata(OBJECT_STORAGE_CLASS, labels=labels),
            provisioner=f"{ns}.ceph.rook.io/bucket",
            reclaim_policy="Retain",
            parameters={"objectStoreName": OBJECT_STORE, "objectStoreNamespace": ns},
            opts=provisioner_opts,
        )
        k8s.storage.v1.StorageClass(
            f"{name}-block",
            metadata=metadata(BLOCK_STORAGE_CLASS, labels=labels),
            provisioner=f"{ns}.rbd.csi.ceph.com",
            reclaim_policy="Retain",
            allow_volume_expansion=True,
            volume_binding_mode="WaitForFirstConsumer",
            parameters={
                "clusterID": ns,
                "pool": "archive-block",
                "imageFeatures": "layering",
                "encrypted": "true",
                "encryptionKMSID": "national-vault",
                "csi.storage.k8s.io/fstype": "ext4",
                "csi.storage.k8s.io/provisioner-secret-name": "rook-csi-rbd-provisioner",
                "csi.storage.k8s.io/provisioner-secret-namespace": ns,
                "csi.storage.k8s.io/node-stage-secret-name": "rook-csi-rbd-node",
                "csi.storage.k8s.io/node-stage-secret-namespace": ns,
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"objectStore": OBJECT_STORE})
