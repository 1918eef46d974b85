"""Each trust's object lock lasts at least as long as its retention class requires.

The trust namespace records the floor of its retention class in days (8 years after last
contact for adults, to the 25th birthday for children, 30 years for cancer). A bucket
locked for less would let a study become deletable while the law still requires it.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.archive.object_lock_enabled import DAYS, lock_days
from imaging_policies.controls import ncsc, ndg
from imaging_policies.conventions import WORM_DAYS_ANNOTATION
from imaging_policies.core import Context, NotApplicable, Stack, stack_policy
from imaging_policies.k8s import OBJECT_BUCKET_CLAIM


def check(stack: Stack, ctx: Context) -> Iterator[tuple[str, str | None]]:
    claims = stack.objects(OBJECT_BUCKET_CLAIM)
    if not claims:
        raise NotApplicable("no ObjectBucketClaims in this stack")
    namespaces = stack.namespaces()
    for claim in claims:
        ns = namespaces.get((claim.cluster, claim.namespace or ""))
        where = f"ObjectBucketClaim {claim.namespace}/{claim.object_name}"
        if ns is None:
            yield f"{where} is in namespace {claim.namespace}, which this stack does not define", claim.urn
            continue
        try:
            floor = int(str(ns.annotations.get(WORM_DAYS_ANNOTATION)))
        except ValueError:
            yield (f"namespace {ns.object_name} has no numeric metadata.annotations[{WORM_DAYS_ANNOTATION!r}] "
                   f"to check {where} against"), ns.urn
            continue
        days = lock_days(claim)
        if days is not None and days < floor:
            yield (f"{where}: metadata.annotations[{DAYS!r}] is {days}, below the {floor} days its retention class "
                   f"requires ({ns.annotations.get('imaging.nhs.uk/retention-class')})"), claim.urn


POLICY = stack_policy(
    check,
    id="object-lock-covers-retention-class",
    severity="critical",
    description="Every bucket's object-lock retention is at least its trust's retention floor in days.",
    remediation=(
        "1. Set the claim's imaging.nhs.uk/object-lock-days from the namespace's imaging.nhs.uk/retention-worm-days "
        "(RetentionClass.worm_floor_days in infra/model/estate.py).\n"
        "2. Never lower a floor: records retention periods are minimums."
    ),
    controls=(ncsc(2), ndg(7)),
)
