"""Pod Security admission is enforced on every platform namespace, ``restricted`` for trusts.

Enforcing (not only warning) makes the API server itself refuse a root or privileged pod
in a trust namespace, whatever created it. Only the platform namespaces that need host
access may be less strict, and each must say why in an annotation an auditor can read.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.conventions import (
    PSS_ENFORCE_LABEL, PSS_EXCEPTION_ANNOTATION, RELAXED_POD_SECURITY, TRUST_LABEL, ZONE_LABEL,
    is_replica_namespace, is_trust_namespace, is_zone_namespace,
)
from imaging_policies.core import Context, NotApplicable, Resource, resource_policy


LEVELS = ("restricted", "baseline", "privileged")


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    name = resource.object_name
    trust = TRUST_LABEL in resource.labels or is_trust_namespace(name) or is_replica_namespace(name)
    platform = trust or ZONE_LABEL in resource.labels or is_zone_namespace(name)
    if not platform and resource.labels.get("app.kubernetes.io/managed-by") != "imaging-cloud":
        raise NotApplicable("not a platform namespace")
    level = resource.labels.get(PSS_ENFORCE_LABEL)
    field = f"metadata.labels[{PSS_ENFORCE_LABEL!r}]"
    if level is None:
        yield f"{field} is missing: set it to 'restricted'"
    elif level not in LEVELS:
        yield f"{field} is {level!r}: use restricted, baseline or privileged"
    elif trust and level != "restricted":
        yield f"{field} is {level!r} on trust namespace {name}: trust namespaces enforce 'restricted'"
    elif level != "restricted":
        allowed = RELAXED_POD_SECURITY.get(name)
        if allowed is None or LEVELS.index(level) > LEVELS.index(allowed):
            exceptions = ", ".join(f"{ns}: {lv}" for ns, lv in sorted(RELAXED_POD_SECURITY.items()))
            yield f"{field} is {level!r} on {name}, beyond what the platform allows it ({exceptions})"
        if not str(resource.annotations.get(PSS_EXCEPTION_ANNOTATION, "")).strip():
            yield f"metadata.annotations[{PSS_EXCEPTION_ANNOTATION!r}] is missing: say why {name} is {level!r}"


POLICY = resource_policy(
    check,
    applies_to={"Namespace"},
    id="namespace-pod-security-enforced",
    severity="high",
    description="Every platform namespace enforces a Pod Security level, restricted for trusts, with any exception justified.",
    remediation=(
        "1. Set pod-security.kubernetes.io/enforce: restricted (TrustTenancy and PlatformZones do).\n"
        "2. A namespace that needs more must be listed in RELAXED_POD_SECURITY "
        "(policies/imaging_policies/conventions.py, a reviewed change) and carry "
        "imaging.nhs.uk/pod-security-exception with the reason."
    ),
    controls=(ncsc(3), ndg(9), cis("5.2.1"), cis("5.7.1")),
)
