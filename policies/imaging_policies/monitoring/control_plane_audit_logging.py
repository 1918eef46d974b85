"""Every API server writes its audit log, keeps enough of it, and exposes no profiler.

The audit policy only matters if the API server loads it and writes the log somewhere the
shipper collects: the ClusterClass's control-plane template must set the policy file and
log path, and keep 30 days and 10 files of 100 MB locally so an outage of the hub loses
nothing. Profiling endpoints leak internals and are off.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.core import Context, Resource, dig, resource_policy
from imaging_policies.k8s import CONTROL_PLANE_TEMPLATE

MINIMUMS = {"audit-log-maxage": 30, "audit-log-maxbackup": 10, "audit-log-maxsize": 100}
FIELD = "spec.template.spec.kubeadmConfigSpec.clusterConfiguration.apiServer.extraArgs"


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    args = dig(resource.props, *FIELD.split("."), default={}) or {}
    for flag in ("audit-policy-file", "audit-log-path"):
        if not args.get(flag):
            yield f"{FIELD}[{flag!r}] is not set"
    for flag, minimum in MINIMUMS.items():
        try:
            if int(str(args.get(flag))) < minimum:
                yield f"{FIELD}[{flag!r}] is {args.get(flag)}: keep at least {minimum}"
        except ValueError:
            yield f"{FIELD}[{flag!r}] is {args.get(flag)!r}: set it to at least {minimum}"
    if str(args.get("profiling")).lower() != "false":
        yield f"{FIELD}['profiling'] is {args.get('profiling')!r}: set it to 'false'"
    if "NodeRestriction" not in str(args.get("enable-admission-plugins", "")).split(","):
        yield f"{FIELD}['enable-admission-plugins'] does not include NodeRestriction"


POLICY = resource_policy(
    check,
    applies_to={CONTROL_PLANE_TEMPLATE},
    id="control-plane-audit-logging",
    severity="high",
    description="Every control-plane template loads the audit policy, writes and retains the audit log, disables profiling and enables NodeRestriction.",
    remediation=(
        "1. Set audit-policy-file, audit-log-path, audit-log-maxage>=30, audit-log-maxbackup>=10, "
        "audit-log-maxsize>=100, profiling=false and NodeRestriction in the KubeadmControlPlaneTemplate.\n"
        "2. Mount the policy and log directories (extraVolumes)."
    ),
    controls=(ncsc(13), ncsc(5), ndg(6), cis("1.2.14"), cis("1.2.15"), cis("1.2.16"), cis("1.2.17"),
              cis("1.2.18"), cis("1.2.19")),
)
