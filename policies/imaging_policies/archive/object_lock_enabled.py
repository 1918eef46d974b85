"""Every bucket is write-once: versioned, with object lock in compliance mode.

Under object lock in COMPLIANCE mode nobody, not even the storage administrator, can
delete or overwrite an object version before its retention date. Ransomware, a bad
script or an insider with the bucket's keys cannot destroy a study while the law requires
it kept. GOVERNANCE mode can be bypassed with a permission, so it does not count.

An ObjectBucketClaim cannot set S3 object lock itself, so the claim declares it in
annotations (``imaging.nhs.uk/versioning: Enabled``, ``imaging.nhs.uk/object-lock-mode:
COMPLIANCE``, ``imaging.nhs.uk/object-lock-days: "<days>"``) that the archive's
bucket guard applies and verifies on the bucket; this rule checks the declaration.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.core import Context, Resource, resource_policy
from imaging_policies.k8s import OBJECT_BUCKET_CLAIM

VERSIONING = "imaging.nhs.uk/versioning"
MODE = "imaging.nhs.uk/object-lock-mode"
DAYS = "imaging.nhs.uk/object-lock-days"


def lock_days(resource: Resource) -> int | None:
    """The claim's default retention in days, None when absent or malformed."""
    try:
        return int(str(resource.annotations.get(DAYS)))
    except ValueError:
        return None


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    annotations = resource.annotations
    field = "metadata.annotations"
    if annotations.get(VERSIONING) != "Enabled":
        yield f"{field}[{VERSIONING!r}] is {annotations.get(VERSIONING)!r}: set it to 'Enabled' (object lock needs versioning)"
    if annotations.get(MODE) != "COMPLIANCE":
        yield f"{field}[{MODE!r}] is {annotations.get(MODE)!r}: set it to 'COMPLIANCE' (GOVERNANCE can be bypassed)"
    days = lock_days(resource)
    if days is None or days <= 0:
        yield f"{field}[{DAYS!r}] is {annotations.get(DAYS)!r}: set the trust's retention floor in days"


POLICY = resource_policy(
    check,
    applies_to={OBJECT_BUCKET_CLAIM},
    id="object-lock-enabled",
    severity="critical",
    description="Every bucket claim declares versioning and object lock in COMPLIANCE mode with a default retention.",
    remediation=(
        "1. Annotate the ObjectBucketClaim with imaging.nhs.uk/versioning: Enabled, "
        "imaging.nhs.uk/object-lock-mode: COMPLIANCE and imaging.nhs.uk/object-lock-days set to the "
        "namespace's imaging.nhs.uk/retention-worm-days.\n"
        "2. Keep the bucket guard that applies them to the bucket; object lock can only be enabled on a "
        "new bucket, so for an existing one create a locked bucket and migrate."
    ),
    controls=(ncsc(2), ndg(7), ndg(1)),
)
