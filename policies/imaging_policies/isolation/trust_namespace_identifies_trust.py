"""A trust namespace says whose it is and how long its images must be kept.

(A ``replica-<ods>`` namespace, a standby copy of another region's trust index, says whose
copy it holds.)
Other rules key on this metadata: the agreement rule finds a trust's ODS code here, the
object-lock rule its retention floor, resource rules the ``trust-`` name. A namespace
whose label, name and ODS annotation disagree could be mistaken for another trust's; a
missing or short retention floor would let images be deleted before the law allows.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.conventions import (
    MINIMUM_WORM_DAYS, ODS_ANNOTATION, REPLICA_NAMESPACE_PREFIX, REPLICA_ODS_ANNOTATION, RETENTION_CLASS_ANNOTATION,
    TRUST_LABEL, TRUST_NAMESPACE_PREFIX, WORM_DAYS_ANNOTATION, is_replica_namespace, is_trust_namespace,
)
from imaging_policies.core import Context, NotApplicable, Resource, resource_policy


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    name = resource.object_name
    label = resource.labels.get(TRUST_LABEL)
    if label is None and not (is_trust_namespace(name) or is_replica_namespace(name, dict(resource.labels))):
        raise NotApplicable("not a trust namespace")
    if label is None:
        yield f"metadata.labels[{TRUST_LABEL!r}] is missing on {name}: set it to the trust's ODS code in lower case"
        return
    replica = is_replica_namespace(name, dict(resource.labels))
    expected = f"{REPLICA_NAMESPACE_PREFIX if replica else TRUST_NAMESPACE_PREFIX}{label}"
    if name != expected:
        yield f"metadata.name is {name!r} but the trust label is {label!r}: name the namespace {expected!r}"
    key = REPLICA_ODS_ANNOTATION if replica else ODS_ANNOTATION
    ods = resource.annotations.get(key)
    if not isinstance(ods, str) or ods.lower() != label:
        yield f"metadata.annotations[{key!r}] is {ods!r}: it must be the ODS code {str(label).upper()!r}"
    if replica:
        return  # a standby index: the retention floor is the origin namespace's
    if not resource.annotations.get(RETENTION_CLASS_ANNOTATION):
        yield f"metadata.annotations[{RETENTION_CLASS_ANNOTATION!r}] is missing: name the trust's retention class"
    days = resource.annotations.get(WORM_DAYS_ANNOTATION)
    try:
        if int(str(days)) < MINIMUM_WORM_DAYS:
            yield (f"metadata.annotations[{WORM_DAYS_ANNOTATION!r}] is {days}: below the {MINIMUM_WORM_DAYS}-day "
                   "floor (8 years, the shortest legal retention of radiology images)")
    except ValueError:
        yield f"metadata.annotations[{WORM_DAYS_ANNOTATION!r}] is {days!r}: it must be a whole number of days"


POLICY = resource_policy(
    check,
    applies_to={"Namespace"},
    id="trust-namespace-identifies-trust",
    severity="medium",
    description="Every trust namespace is named trust-<ods> and records its ODS code, retention class and object-lock floor (replicas: replica-<ods> and the ODS code).",
    remediation=(
        "1. Create trust namespaces only through TrustTenancy, which derives name, label and "
        "annotations from the trust's estate entry.\n"
        "2. Fix the trust's retention_class in stacks/estate/trusts/<region>.yaml if the floor is wrong."
    ),
    controls=(ncsc(3), ncsc(2), ndg(1), ndg(7)),
)
