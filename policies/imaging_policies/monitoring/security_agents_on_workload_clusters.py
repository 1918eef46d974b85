"""Every workload cluster runs the national security agents in its monitoring zone.

Falco sees runtime attacks (a shell in an archive pod, a write to a binary), Fluent Bit
ships the logs and Kubernetes audit trail, the Prometheus agent ships metrics, and the
Trivy operator reports vulnerable images. A cluster without them is a cluster where an
incident would go unseen and unreconstructable.

One exemption, stated where an auditor sees it: a *brought* cluster (provisioner
``existing``) whose SecurityAgents component records why its releases are not installed
— the local dev control plane, which has no kubelet to run them. Clusters provisioned by
Cluster API, i.e. production, have no exemption.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.conventions import MONITORING_ZONE, TRUST_LABEL, is_trust_namespace
from imaging_policies.core import Context, NotApplicable, Stack, stack_policy
from imaging_policies.k8s import RELEASE, chart_name, release_namespace

SECURITY_AGENTS = "imaging-cloud:monitoring:SecurityAgents"
#: Agent -> how its release's chart is recognised.
AGENTS = {
    "falco": lambda chart: chart == "falco",
    "fluent-bit": lambda chart: chart == "fluent-bit",
    "prometheus agent": lambda chart: chart.startswith(("prometheus", "kube-prometheus")),
    "trivy-operator": lambda chart: chart == "trivy-operator",
}


def check(stack: Stack, ctx: Context) -> Iterator[tuple[str, str | None]]:
    clusters = sorted({
        ns.cluster for ns in stack.objects("Namespace")
        if TRUST_LABEL in ns.labels or is_trust_namespace(ns.object_name)
    })
    if not clusters:
        raise NotApplicable("no workload cluster (no trust namespaces) in this stack")
    exempt = {
        r.props.get("cluster"): r.props.get("releasesSkippedBecause")
        for r in stack.resources
        if r.type == SECURITY_AGENTS and r.props.get("releasesInstalled") is False
        and r.props.get("provisioner") == "existing" and r.props.get("releasesSkippedBecause")
    }
    clusters = [c for c in clusters if c not in exempt]
    if not clusters:
        raise NotApplicable("agents not installable here: " + "; ".join(f"{c}: {why}" for c, why in exempt.items()))
    installed: dict[str, set[str]] = {c: set() for c in clusters}
    for release in stack.objects(RELEASE):
        if release_namespace(release) != MONITORING_ZONE or release.cluster not in installed:
            continue
        for agent, matches in AGENTS.items():
            if matches(chart_name(release)):
                installed[release.cluster].add(agent)
    for cluster in clusters:
        missing = [a for a in AGENTS if a not in installed[cluster]]
        if missing:
            provider = next((r.urn for r in stack.resources if r.type == "pulumi:providers:kubernetes"
                             and r.name.removeprefix("k8s-") == cluster), None)
            yield (f"cluster {cluster or '(default provider)'} has no {', no '.join(missing)} release in "
                   f"{MONITORING_ZONE}"), provider


POLICY = stack_policy(
    check,
    id="security-agents-on-workload-clusters",
    severity="high",
    description="Every workload cluster runs Falco, Fluent Bit, a Prometheus agent and the Trivy operator in the monitoring zone.",
    remediation=(
        "1. Install the four agents as helm.v3.Release resources in zone-monitoring on every "
        "workload cluster (build_cluster_workloads).\n"
        "2. Point them at the national hub (see security-agents-report-to-hub)."
    ),
    controls=(ncsc(5), ncsc(13), ndg(6)),
)
