"""The object store encrypts what it stores.

Images are also encrypted by Orthanc before upload, but the object store holds other
trust data too (database backups, write-ahead logs). Server-side encryption with keys in
a KMS means disks or pools read outside the gateway yield nothing usable.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.core import Context, Resource, dig, resource_policy
from imaging_policies.k8s import CEPH_OBJECT_STORE, OBJECT_BUCKET_CLAIM


#: Server-side encryption a bucket claim may declare (applied by the archive's bucket guard).
BUCKET_ENCRYPTION = "imaging.nhs.uk/encryption"
SSE_ALGORITHMS = frozenset({"aws:kms", "AES256"})


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    if resource.gk == OBJECT_BUCKET_CLAIM:
        value = resource.annotations.get(BUCKET_ENCRYPTION)
        if value not in SSE_ALGORITHMS:
            yield (f"metadata.annotations[{BUCKET_ENCRYPTION!r}] is {value!r}: declare the bucket's default "
                   "encryption (aws:kms)")
        return
    security = dig(resource.props, "spec", "security", default={}) or {}
    kms = dig(security, "kms", "connectionDetails")
    s3 = dig(security, "s3", "connectionDetails")
    if not kms and not s3:
        yield ("spec.security has no kms or s3 connectionDetails: configure server-side encryption "
               "(SSE-KMS or SSE-S3) with keys held in the KMS")


POLICY = resource_policy(
    check,
    applies_to={CEPH_OBJECT_STORE, OBJECT_BUCKET_CLAIM},
    id="object-store-encrypted-at-rest",
    severity="high",
    description="Every Ceph object store has KMS-backed server-side encryption and every bucket claim declares default encryption.",
    remediation=(
        "1. Set spec.security.kms (or spec.security.s3) connectionDetails and token secret on the CephObjectStore.\n"
        "2. Annotate each ObjectBucketClaim with imaging.nhs.uk/encryption: aws:kms (applied by the bucket guard)."
    ),
    controls=(ncsc(2), ndg(1), ndg(9)),
)
