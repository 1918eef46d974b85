"""Security monitoring: agents on every workload cluster, the security hub on the national one.

``SecurityAgents`` (one per workload cluster, in the monitoring zone):
- Falco with the modern eBPF driver and the estate's rules; falcosidekick forwards every
  event (with ``region``/``cluster`` fields) to the zone's Fluent Bit, and critical ones
  straight to the hub's Alertmanager as well;
- Fluent Bit on every node, control plane included: container logs, the API server audit
  log, Falco events and trust OTLP telemetry, each record tagged with
  ``imaging.{region,cluster,trust}`` and shipped over mTLS from a bounded disk buffer;
- Prometheus in agent mode: scrapes, keeps its WAL on a volume, remote-writes over mTLS
  with ``cluster``/``region`` external labels;
- Trivy Operator: vulnerability, configuration and exposed-secret reports.

``SecurityHub`` (management cluster): the mTLS ingestion endpoints of the hub contract, an
ingestion gateway, OpenSearch (SIEM, Security Analytics) and its dashboards, Prometheus
for agent-health rules, Alertmanager routing by severity, Grafana, and the object-lock
archive of audit evidence kept for ``hub.security.audit_retention_days``.

Charts are pinned and their values reviewed in :mod:`infra.monitoring.values`;
detections live in :mod:`infra.monitoring.rules`. See ``docs/monitoring.md``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.components.segmentation import NamespaceFirewall, Peer
from infra.k8s import REGION_LABEL, ZONE_LABEL, metadata
from infra.model import Cluster, Estate
from infra.monitoring import rules, values
from infra.ports import KUBE_API, Port

SUPPORTED_CONTRACT_VERSIONS = (1,)
KUBELET = Port(10250, name="kubelet")
NODE_EXPORTER = Port(9100, name="node-exporter")
REGISTRY_HTTPS = Port(443, name="registry-https")
HTTPS = Port(443, name="https")
HUB_NAMESPACE = "security-hub"
#: Pod Security of the hub namespace, with the reason it is not ``restricted``.
HUB_POD_SECURITY = ("baseline", "OpenSearch and Fluent Bit chart init containers cannot all be set to the "
                              "restricted profile through values; every main container runs restricted settings")


def _release(
    name: str,
    chart: values.Chart,
    release_name: str,
    namespace: str,
    chart_values: pulumi.Input[Mapping[str, Any]],
    opts: pulumi.ResourceOptions,
) -> k8s.helm.v3.Release:
    """A pinned Helm release: exact chart version from the national OCI mirror (synced from
    ``chart.repository`` and scanned there), reviewed values."""
    return k8s.helm.v3.Release(
        name,
        name=release_name,
        chart=chart.mirror_reference(),
        version=chart.version,
        namespace=namespace,
        create_namespace=False,
        values=chart_values,
        atomic=True,
        cleanup_on_fail=True,
        max_history=10,
        timeout=900,
        description=chart.purpose,
        opts=opts,
    )


def _check_contract(contract: Mapping[str, Any]) -> Mapping[str, Any]:
    version = contract.get("contractVersion")
    if version not in SUPPORTED_CONTRACT_VERSIONS:
        raise ValueError(f"hub contract version {version!r} is not supported (supported: {SUPPORTED_CONTRACT_VERSIONS})")
    missing = {"events", "logs", "metrics", "alerts"} - set(contract.get("endpoints", {}))
    if missing:
        raise ValueError(f"hub contract lacks endpoints: {', '.join(sorted(missing))}")
    return contract


# --------------------------------------------------------------------------------------
# Agents
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SecurityAgentsArgs:
    """What the agents of one workload cluster need."""

    cluster: str
    region: str
    #: The national stack's hub contract (``infra.stacks.contract.hub_contract``), read
    #: through a StackReference by region stacks.
    hub: pulumi.Input[dict[str, Any]]
    #: Approved registry host; every image comes from ``<registry>/mirror/...``.
    registry: str
    #: Namespace -> ODS code of each trust hosted on the cluster.
    trust_namespaces: Mapping[str, str]
    #: The monitoring zone's namespace (created by PlatformZones).
    zone_namespace: str
    #: The cluster's node network (kubelet and node-exporter are scraped there).
    node_cidr: str
    same_cluster_consumers: Sequence[str] = ()
    cross_cluster_consumers: Sequence[str] = ()
    oidc_groups_prefix: str = "oidc:"
    #: Networks of the approved registry: falcoctl pulls Falco artifacts and Trivy its
    #: vulnerability database from the mirror. Without them those pulls are denied.
    registry_networks: Sequence[str] = ()
    #: Why the agent releases are not installed on this cluster (None: they are). Only a
    #: local control plane says so: it has no kubelet to run them and no chart
    #: repository to fetch them from. Recorded on the component for auditors.
    releases_skipped_because: str | None = None
    #: How the cluster came to exist ("cluster-api" or "existing"), recorded for the policy.
    provisioner: str = "cluster-api"


class SecurityAgents(pulumi.ComponentResource):
    """Falco, Fluent Bit, Prometheus (agent mode) and Trivy Operator on one cluster."""

    releases: dict[str, k8s.helm.v3.Release]

    def __init__(self, name: str, args: SecurityAgentsArgs, opts: pulumi.ResourceOptions | None = None):
        # Recorded both as inputs (what the offline plan shows) and as outputs (what the
        # engine hands the policy pack for a component), so both paths judge the same facts.
        self._facts = {
            "cluster": args.cluster,
            "region": args.region,
            "provisioner": args.provisioner,
            "releasesInstalled": args.releases_skipped_because is None,
            "releasesSkippedBecause": args.releases_skipped_because or "",
        }
        super().__init__("imaging-cloud:monitoring:SecurityAgents", name, dict(self._facts), opts)
        ns = args.zone_namespace
        child = pulumi.ResourceOptions(parent=self)

        def settings(contract: Mapping[str, Any]) -> values.AgentSettings:
            contract = _check_contract(contract)
            return values.AgentSettings(
                cluster=args.cluster,
                region=args.region,
                registry=args.registry,
                namespace=ns,
                trusts=dict(args.trust_namespaces),
                endpoints=dict(contract["endpoints"]),
                node_cidr=args.node_cidr,
                same_cluster_consumers=tuple(args.same_cluster_consumers),
                cross_cluster_consumers=tuple(args.cross_cluster_consumers),
                oidc_groups_prefix=args.oidc_groups_prefix,
            )

        agent = pulumi.Output.from_input(args.hub).apply(settings)
        custom_rules = rules.falco_custom_rules(
            args.trust_namespaces, args.same_cluster_consumers, args.cross_cluster_consumers
        )

        labels = {ZONE_LABEL: "monitoring", REGION_LABEL: args.region}
        firewall = NamespaceFirewall(ns, f"{name}-netpol", child, labels)
        firewall.allow_to(
            "allow-agents-scrape-nodes", [Peer.network(args.node_cidr)], [KUBELET, NODE_EXPORTER],
            "Prometheus agent scrapes kubelets and node exporters",
        )
        if args.registry_networks:
            firewall.allow_to(
                "allow-agents-to-registry", [Peer.network(c) for c in args.registry_networks], [REGISTRY_HTTPS],
                "falcoctl artifacts and the Trivy vulnerability database from the approved mirror",
            )
        after_policies = pulumi.ResourceOptions(parent=self, depends_on=firewall.policies)
        if args.releases_skipped_because is not None:
            self.releases = {}
            self.register_outputs({**self._facts, "releases": {}})
            return

        self.releases = {
            "fluent-bit": _release(f"{name}-fluent-bit", values.CHARTS["fluent-bit"], values.RELEASES["fluent-bit"],
                                   ns, agent.apply(values.fluent_bit_values), after_policies),
        }
        # Falco's sidekick posts into Fluent Bit: install the shipper first.
        self.releases["falco"] = _release(
            f"{name}-falco", values.CHARTS["falco"], values.RELEASES["falco"], ns,
            agent.apply(lambda s: values.falco_values(s, custom_rules)),
            pulumi.ResourceOptions(parent=self, depends_on=[*firewall.policies, self.releases["fluent-bit"]]),
        )
        self.releases["metrics"] = _release(
            f"{name}-metrics", values.CHARTS["kube-prometheus-stack"], values.RELEASES["metrics"], ns,
            agent.apply(values.prometheus_agent_values), after_policies,
        )
        self.releases["trivy"] = _release(
            f"{name}-trivy", values.CHARTS["trivy-operator"], values.RELEASES["trivy"], ns,
            agent.apply(values.trivy_operator_values),
            # Trivy's ServiceMonitor needs the CRDs the metrics release installs.
            pulumi.ResourceOptions(parent=self, depends_on=[*firewall.policies, self.releases["metrics"]]),
        )
        self.register_outputs({**self._facts, "releases": {k: r.name for k, r in self.releases.items()}})


def agreement_consumers(estate: Estate, cluster: Cluster, as_of: dt.date) -> tuple[list[str], list[str]]:
    """Namespaces on ``cluster`` consuming a live agreement, split by where the provider is."""
    same, cross = set(), set()
    for agreement in estate.live_agreements(as_of):
        consumer, provider = estate.trust(agreement.consumer), estate.trust(agreement.provider)
        if estate.cluster_of(consumer).name != cluster.name:
            continue
        (same if estate.cluster_of(provider).name == cluster.name else cross).add(consumer.namespace)
    return sorted(same), sorted(cross)


def add_security_agents(
    estate: Estate,
    region_name: str,
    cluster: Cluster,
    provider: k8s.Provider,
    hub: pulumi.Input[dict[str, Any]],
    as_of: dt.date,
    depends_on: Sequence[pulumi.Resource] = (),
    releases_skipped_because: str | None = None,
) -> SecurityAgents:
    """Add the security agents to ``cluster`` (call from ``build_cluster_workloads``,
    with ``depends_on=[platform]`` so the monitoring zone exists first)."""
    trusts = [t for t in estate.trusts_in(region_name) if estate.cluster_of(t).name == cluster.name]
    same, cross = agreement_consumers(estate, cluster, as_of)
    return SecurityAgents(
        f"{cluster.name}-security-agents",
        SecurityAgentsArgs(
            cluster=cluster.name,
            region=region_name,
            hub=hub,
            registry=estate.hub.registry,
            trust_namespaces={t.namespace: t.ods_code for t in trusts},
            zone_namespace=estate.zone("monitoring").namespace,
            node_cidr=cluster.node_cidr,
            same_cluster_consumers=same,
            cross_cluster_consumers=cross,
            oidc_groups_prefix=estate.hub.oidc.groups_prefix,
            registry_networks=tuple(estate.hub.registry_networks),
            releases_skipped_because=releases_skipped_because,
            provisioner=cluster.provisioner,
        ),
        pulumi.ResourceOptions(providers={"kubernetes": provider}, depends_on=list(depends_on)),
    )


# --------------------------------------------------------------------------------------
# Hub
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SecurityHubArgs:
    """What the national security hub needs."""

    cluster: Cluster
    region: str
    #: The hub contract (plain: the national stack computes it).
    contract: Mapping[str, Any]
    registry: str
    audit_retention_days: int
    production: bool
    pod_security_version: str
    #: S3 endpoint of the object store holding the object-lock audit archive.
    object_store_endpoint: str
    #: (region, cluster) of every workload cluster expected to report.
    expected_clusters: Sequence[tuple[str, str]] = ()
    namespace: str = HUB_NAMESPACE
    #: Namespace and class of the ingress controller that terminates the agents' mTLS.
    ingress_namespace: str = "ingress-nginx"
    ingress_class: str = "nginx"
    #: Networks of the object store and of the notification services (pager, SOC queue).
    object_store_networks: Sequence[str] = ()
    notification_networks: Sequence[str] = ()


def _ingress_annotations(namespace: str) -> dict[str, str]:
    """ingress-nginx mutual TLS: only clients with a certificate from the agents' CA."""
    return {
        "nginx.ingress.kubernetes.io/auth-tls-verify-client": "on",
        "nginx.ingress.kubernetes.io/auth-tls-secret": f"{namespace}/{values.SECRETS['ingest-client-ca']}",
        "nginx.ingress.kubernetes.io/auth-tls-verify-depth": "2",
        "nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream": "false",
        "nginx.ingress.kubernetes.io/proxy-body-size": "16m",
        "nginx.ingress.kubernetes.io/ssl-redirect": "true",
    }


#: Ingestion routes: endpoint key -> (paths, backend service, port). Each hostname only
#: forwards the paths agents need (e.g. alerts: posting alerts, never silences or the UI).
INGEST_ROUTES: dict[str, tuple[tuple[str, ...], str, int]] = {
    "events": (("/events",), values.RELEASES["gateway"], 9880),
    "logs": (("/audit", "/logs"), values.RELEASES["gateway"], 9880),
    "metrics": (("/api/v1/write",), values.RELEASES["gateway"], 9090),
    "alerts": (("/api/v2/alerts",), values.RELEASES["alertmanager"], 9093),
}


def object_lock_script(h: values.HubSettings) -> str:
    """Idempotent: create the bucket with object lock, set COMPLIANCE default retention, and
    refuse to shorten an existing retention (compliance mode can only grow)."""
    days = h.audit_retention_days
    return f"""set -eu
aws() {{ command aws --endpoint-url "$S3_ENDPOINT" "$@"; }}
if ! aws s3api head-bucket --bucket "$BUCKET" 2>/dev/null; then
  aws s3api create-bucket --bucket "$BUCKET" --object-lock-enabled-for-bucket
fi
current=$(aws s3api get-object-lock-configuration --bucket "$BUCKET" \\
  --query 'ObjectLockConfiguration.Rule.DefaultRetention.Days' --output text 2>/dev/null || echo 0)
case "$current" in ''|None) current=0 ;; esac
if [ "$current" -gt {days} ]; then
  echo "refusing to shorten object-lock retention of $BUCKET from $current to {days} days" >&2
  exit 1
fi
aws s3api put-object-lock-configuration --bucket "$BUCKET" --object-lock-configuration \\
  '{{"ObjectLockEnabled":"Enabled","Rule":{{"DefaultRetention":{{"Mode":"COMPLIANCE","Days":{days}}}}}}}'
mode=$(aws s3api get-object-lock-configuration --bucket "$BUCKET" \\
  --query 'ObjectLockConfiguration.Rule.DefaultRetention.Mode' --output text)
test "$mode" = COMPLIANCE
echo "bucket $BUCKET: object lock COMPLIANCE, {days} days"
"""


class SecurityHub(pulumi.ComponentResource):
    """The national security hub on the management cluster."""

    releases: dict[str, k8s.helm.v3.Release]

    def __init__(self, name: str, args: SecurityHubArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("imaging-cloud:monitoring:SecurityHub", name, None, opts)
        contract = _check_contract(args.contract)
        ns = args.namespace
        hub = values.HubSettings(
            cluster=args.cluster.name,
            region=args.region,
            registry=args.registry,
            namespace=ns,
            domain=contract["domain"],
            endpoints=dict(contract["endpoints"]),
            audit_retention_days=args.audit_retention_days,
            production=args.production,
            object_store_endpoint=args.object_store_endpoint,
        )
        level, reason = HUB_POD_SECURITY
        labels = {"imaging.nhs.uk/zone": "security-hub", REGION_LABEL: args.region}
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=metadata(ns, labels={
                **labels,
                "pod-security.kubernetes.io/enforce": level,
                "pod-security.kubernetes.io/enforce-version": args.pod_security_version,
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
            }, annotations={
                "imaging.nhs.uk/purpose": "National security hub: SIEM, alerting, immutable audit archive",
                "imaging.nhs.uk/pod-security-exception": reason,
            }),
            opts=pulumi.ResourceOptions(parent=self, protect=args.production),
        )
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])

        firewall = NamespaceFirewall(ns, f"{name}-netpol", in_ns, labels)
        firewall.isolate()
        firewall.allow_from(
            "allow-ingest-from-ingress", [Peer.namespace_pods(args.ingress_namespace)],
            [Port(9880, name="ingest"), Port(9090, name="remote-write"), Port(9093, name="alertmanager"),
             Port(5601, name="dashboards"), Port(3000, name="grafana")],
            "mTLS-terminated agent traffic and analyst UIs from the ingress controller",
        )
        firewall.allow_to("allow-to-api-server", [Peer.network(args.cluster.node_cidr)], [KUBE_API],
                          "The Prometheus operator and OpenSearch discovery use the Kubernetes API")
        if args.object_store_networks:
            firewall.allow_to("allow-to-object-store", [Peer.network(c) for c in args.object_store_networks], [HTTPS],
                              "Audit evidence to the object-lock archive")
        if args.notification_networks:
            firewall.allow_to("allow-to-notification-services",
                              [Peer.network(c) for c in args.notification_networks], [HTTPS],
                              "Alertmanager notifies the pager and the SOC queue")
        ready = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace, *firewall.policies])

        def release(key: str, chart: str, chart_values: Mapping[str, Any], after: Sequence[pulumi.Resource] = ()):
            return _release(f"{name}-{key}", values.CHARTS[chart], values.RELEASES[key], ns, chart_values,
                            pulumi.ResourceOptions.merge(ready, pulumi.ResourceOptions(depends_on=list(after))))

        rule_groups = rules.prometheus_rule_groups(args.expected_clusters)
        self.releases = {}
        self.releases["opensearch"] = release("opensearch", "opensearch", values.opensearch_values(hub))
        self.releases["dashboards"] = release("dashboards", "opensearch-dashboards", values.dashboards_values(hub),
                                              [self.releases["opensearch"]])
        self.releases["alertmanager"] = release("alertmanager", "alertmanager", values.alertmanager_values(hub))
        self.releases["hub-prometheus"] = release("hub-prometheus", "kube-prometheus-stack",
                                                  values.hub_prometheus_values(hub, rule_groups),
                                                  [self.releases["alertmanager"]])
        self.releases["grafana"] = release("grafana", "grafana", values.grafana_values(hub))

        self.audit_bucket_job = self._object_lock_job(name, hub, ready)
        self.releases["gateway"] = release(
            "gateway", "fluent-bit", values.gateway_values(hub),
            [self.releases["opensearch"], self.releases["hub-prometheus"], self.audit_bucket_job],
        )

        self.ingresses = {}
        for key, (paths, service, port) in INGEST_ROUTES.items():
            host = values._endpoint(contract["endpoints"][key])[0]
            self.ingresses[key] = k8s.networking.v1.Ingress(
                f"{name}-ingest-{key}",
                metadata=metadata(f"ingest-{key}", ns, labels, _ingress_annotations(ns)),
                spec={
                    "ingressClassName": args.ingress_class,
                    "tls": [{"hosts": [host], "secretName": values.SECRETS["ingest-server-tls"]}],
                    "rules": [{"host": host, "http": {"paths": [
                        {"path": path, "pathType": "Prefix",
                         "backend": {"service": {"name": service, "port": {"number": port}}}}
                        for path in paths
                    ]}}],
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.releases["gateway"],
                                                                     self.releases["alertmanager"]]),
            )

        self.detections = k8s.core.v1.ConfigMap(
            f"{name}-detections",
            metadata=metadata("security-detections", ns, labels, {
                "imaging.nhs.uk/purpose": "Sigma detection and correlation rules loaded into Security Analytics",
            }),
            data=rules.sigma_rule_files(),
            opts=ready,
        )
        self.register_outputs({
            "namespace": ns,
            "endpoints": dict(contract["endpoints"]),
            "auditBucket": hub.audit_bucket,
            "auditRetentionDays": hub.audit_retention_days,
        })

    def _object_lock_job(self, name: str, hub: values.HubSettings, opts: pulumi.ResourceOptions) -> k8s.batch.v1.Job:
        script = object_lock_script(hub)
        # Jobs are immutable: a new configuration is a new Job, named after its content.
        digest = hashlib.sha256(json.dumps([script, hub.audit_bucket, hub.object_store_endpoint]).encode()).hexdigest()[:8]
        secret = values.SECRETS["audit-archive-s3"]
        return k8s.batch.v1.Job(
            f"{name}-audit-bucket",
            metadata=metadata(f"audit-archive-object-lock-{digest}", hub.namespace, {"app.kubernetes.io/name": "audit-archive"},
                              {"imaging.nhs.uk/retention-days": str(hub.audit_retention_days)}),
            spec={
                "backoffLimit": 6,
                "template": {"spec": {
                    "restartPolicy": "OnFailure",
                    "automountServiceAccountToken": False,
                    "securityContext": {**values.RESTRICTED_POD, "runAsUser": 1000, "runAsGroup": 1000},
                    "containers": [{
                        "name": "object-lock",
                        "image": values.IMAGES["aws-cli"].ref(hub.registry),
                        "command": ["/bin/sh", "-c", script],
                        "env": [
                            {"name": "BUCKET", "value": hub.audit_bucket},
                            {"name": "S3_ENDPOINT", "value": hub.object_store_endpoint},
                            {"name": "HOME", "value": "/tmp"},
                            {"name": "AWS_ACCESS_KEY_ID", "valueFrom": {"secretKeyRef": {"name": secret, "key": "AWS_ACCESS_KEY_ID"}}},
                            {"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": {"secretKeyRef": {"name": secret, "key": "AWS_SECRET_ACCESS_KEY"}}},
                        ],
                        "resources": values.resources("50m", "64Mi", "500m", "256Mi"),
                        "securityContext": values.RESTRICTED_CONTAINER,
                        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                    }],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
                }},
            },
            opts=opts,
        )


def object_store_endpoint(estate: Estate) -> str:
    """Where the audit archive bucket lives (``hub.object_store_endpoint`` in estate.yaml)."""
    return estate.hub.object_store_endpoint


def add_security_hub(estate: Estate, provider: k8s.Provider, contract: Mapping[str, Any] | None = None,
                     depends_on: Sequence[pulumi.Resource] = ()) -> SecurityHub:
    """Add the security hub to the management cluster (call from the national stack)."""
    from infra.settings import POD_SECURITY_VERSION
    from infra.stacks.contract import hub_contract

    management = estate.hub.management_cluster
    return SecurityHub(
        "security-hub",
        SecurityHubArgs(
            cluster=management,
            region=estate.hub.region,
            contract=contract or hub_contract(estate),
            registry=estate.hub.registry,
            audit_retention_days=estate.hub.security.audit_retention_days,
            production=estate.hub.security.production_sizing,
            pod_security_version=POD_SECURITY_VERSION,
            object_store_endpoint=object_store_endpoint(estate),
            expected_clusters=[(r.name, c.name) for r in estate.regions for c in r.clusters],
        ),
        pulumi.ResourceOptions(providers={"kubernetes": provider}, depends_on=list(depends_on)),
    )


__all__ = [
    "SecurityAgents", "SecurityAgentsArgs", "SecurityHub", "SecurityHubArgs",
    "add_security_agents", "add_security_hub", "agreement_consumers",
]
