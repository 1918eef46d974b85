"""Every cluster runs a Kubernetes minor version still supported upstream on the audit date.

An end-of-life minor gets no security fixes. The NDG standard on unsupported systems
forbids them in the estate; the table below is the upstream end-of-life date of each
minor (kubernetes.io/releases), compared with the audit date so the rule tightens by
itself as versions age.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.core import Context, Resource, dig, is_unknown, resource_policy
from imaging_policies.k8s import CAPI_CLUSTER

#: Upstream end of maintenance per minor version (patch releases stop after this day).
END_OF_LIFE = {
    29: dt.date(2025, 2, 28),
    30: dt.date(2025, 6, 28),
    31: dt.date(2025, 10, 28),
    32: dt.date(2026, 2, 28),
    33: dt.date(2026, 6, 28),
    34: dt.date(2026, 10, 27),
    35: dt.date(2027, 2, 28),
}
OLDEST_KNOWN = min(END_OF_LIFE)


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    version = dig(resource.props, "spec", "topology", "version")
    if is_unknown(version):
        return
    match = re.match(r"^v?1\.(\d+)\.\d+", str(version or ""))
    if not match:
        yield f"spec.topology.version is {version!r}: set an exact Kubernetes version (v1.<minor>.<patch>)"
        return
    minor = int(match.group(1))
    end = END_OF_LIFE.get(minor)
    if minor < OLDEST_KNOWN or (end is not None and ctx.as_of > end):
        yield (f"spec.topology.version {version} is out of upstream support"
               f"{f' since {end}' if end else ''} (audit date {ctx.as_of}): upgrade to a supported minor")


POLICY = resource_policy(
    check,
    applies_to={CAPI_CLUSTER},
    id="clusters-run-supported-kubernetes",
    severity="medium",
    description="Every cluster runs a Kubernetes minor version that is within upstream support on the audit date.",
    remediation=(
        "1. Raise kubernetes_version of the cluster in stacks/estate/regions.yaml one minor at a time.\n"
        "2. Roll the change region by region (deployment waves)."
    ),
    controls=(ncsc(5), ndg(8)),
)
