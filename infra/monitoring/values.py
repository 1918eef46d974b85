"""Reviewed Helm values of the security agents and the national security hub.

Everything a reviewer must check before a chart bump lives here, as code:

- **Charts** (:data:`CHARTS`): name, exact version and upstream repository. Pulumi's Helm
  ``Release`` fetches the chart where the deployment runs (CI), never on a cluster.
- **Images** (:data:`IMAGES`): always ``<registry>/mirror/<upstream path>:<exact tag>``,
  the approved national mirror (``hub.registry`` of the estate). No chart default image
  survives: every image a chart can run is overridden below, and
  ``tests/monitoring/test_values.py`` fails on any image reference outside the mirror.
- **Resources**: requests and limits on every container.
- **Buffers** (:class:`Buffers`): disk-backed and bounded. When the hub is unreachable an
  agent keeps at most these bytes per stream and then drops the *oldest* data, never the
  node's disk (see ``docs/monitoring.md``, "Buffering and resilience").
- **Credentials**: only Secret *names* (:data:`SECRETS`). The platform's certificate
  issuer creates them (cert-manager layout: ``tls.crt``, ``tls.key``, ``ca.crt``); no key
  material ever passes through Pulumi.

Functions take plain settings (:class:`AgentSettings`, :class:`HubSettings`) and return
plain dicts, so they are unit-tested without the Pulumi runtime.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from infra.ports import ARCHIVE_HTTPS, OTLP

# --------------------------------------------------------------------------------------
# Charts and images
# --------------------------------------------------------------------------------------

#: Path of the upstream mirror inside the approved registry.
MIRROR = "mirror"


@dataclasses.dataclass(frozen=True)
class Chart:
    """A third-party chart, pinned. ``app_version`` is what the chart ships by default
    (for reviewers; the images below pin what actually runs)."""

    name: str
    version: str
    repository: str
    app_version: str
    purpose: str

    def mirror_reference(self, registry: str = "registry.imaging.nhs.uk") -> str:
        """Where releases fetch the chart: the national registry's OCI mirror of ``repository``."""
        return f"oci://{registry}/charts/{self.name}"


CHARTS: dict[str, Chart] = {
    "falco": Chart("falco", "9.1.1", "https://falcosecurity.github.io/charts", "0.44.1",
                   "Runtime detection (modern eBPF) with falcosidekick and the k8s-metacollector"),
    "fluent-bit": Chart("fluent-bit", "0.47.10", "https://fluent.github.io/helm-charts", "3.1.9",
                        "Log shipper (agents) and the hub's ingestion gateway"),
    "kube-prometheus-stack": Chart("kube-prometheus-stack", "62.7.0",
                                   "https://prometheus-community.github.io/helm-charts", "v0.76.1",
                                   "Prometheus in agent mode (clusters); rule-evaluating Prometheus (hub)"),
    "trivy-operator": Chart("trivy-operator", "0.29.3", "https://aquasecurity.github.io/helm-charts", "0.27.3",
                            "Vulnerability and configuration reports of every workload"),
    "opensearch": Chart("opensearch", "2.26.0", "https://opensearch-project.github.io/helm-charts", "2.17.1",
                        "SIEM store with the Security Analytics plugin"),
    "opensearch-dashboards": Chart("opensearch-dashboards", "2.24.0",
                                   "https://opensearch-project.github.io/helm-charts", "2.17.1",
                                   "Analyst UI: Security Analytics findings, discover, audit search"),
    "alertmanager": Chart("alertmanager", "1.21.0", "https://prometheus-community.github.io/helm-charts",
                          "v0.28.1", "Routes alerts by severity to on-call and the SOC queue"),
    "grafana": Chart("grafana", "8.5.1", "https://grafana.github.io/helm-charts", "11.2.0",
                     "Dashboards: estate security overview and agent health"),
}


@dataclasses.dataclass(frozen=True)
class Image:
    """An upstream image as served by the mirror: ``<registry>/mirror/<path>:<tag>``."""

    path: str
    tag: str

    def registry(self, registry: str) -> str:
        return f"{registry}/{MIRROR}"

    def ref(self, registry: str) -> str:
        return f"{self.registry(registry)}/{self.path}:{self.tag}"

    def split(self, registry: str) -> dict[str, str]:
        """The ``registry``/``repository``/``tag`` triple most charts take."""
        return {"registry": self.registry(registry), "repository": self.path, "tag": self.tag}

    def joined(self, registry: str) -> dict[str, str]:
        """The ``repository`` (registry included)/``tag`` pair of charts without a registry key."""
        return {"repository": f"{self.registry(registry)}/{self.path}", "tag": self.tag}


IMAGES: dict[str, Image] = {
    # Agents
    "falco": Image("falcosecurity/falco", "0.44.1"),
    "falcoctl": Image("falcosecurity/falcoctl", "0.12.2"),
    "falcosidekick": Image("falcosecurity/falcosidekick", "2.31.1"),
    "k8s-metacollector": Image("falcosecurity/k8s-metacollector", "0.1.1"),
    "fluent-bit": Image("fluent/fluent-bit", "3.1.9"),
    "prometheus": Image("prometheus/prometheus", "v2.54.1"),
    "prometheus-operator": Image("prometheus-operator/prometheus-operator", "v0.76.1"),
    "prometheus-config-reloader": Image("prometheus-operator/prometheus-config-reloader", "v0.76.1"),
    "kube-state-metrics": Image("kube-state-metrics/kube-state-metrics", "v2.13.0"),
    "node-exporter": Image("prometheus/node-exporter", "v1.8.2"),
    "trivy-operator": Image("aquasecurity/trivy-operator", "0.27.3"),
    "trivy": Image("aquasecurity/trivy", "0.64.1"),
    "node-collector": Image("aquasecurity/node-collector", "0.3.1"),
    # Hub
    "opensearch": Image("opensearchproject/opensearch", "2.17.1"),
    "opensearch-dashboards": Image("opensearchproject/opensearch-dashboards", "2.17.1"),
    "alertmanager": Image("prometheus/alertmanager", "v0.28.1"),
    "grafana": Image("grafana/grafana", "11.2.0"),
    "aws-cli": Image("amazon/aws-cli", "2.17.50"),
}

#: Falco artifacts (plugins and the upstream rules) pulled by falcosecurity/falcoctl from
#: the mirror, never from the internet: `follow` is off, versions are exact.
FALCO_ARTIFACTS: dict[str, str] = {
    "container": "falcosecurity/plugins/plugin/container:0.6.1",
    "k8smeta": "falcosecurity/plugins/plugin/k8smeta:0.4.1",
    "falco-rules": "falcosecurity/rules/falco-rules:5.0.0",
}

# --------------------------------------------------------------------------------------
# Names, ports, secrets
# --------------------------------------------------------------------------------------

#: Helm release names (also the prefix of every object the charts create).
RELEASES = {
    "falco": "falco",
    "fluent-bit": "fluent-bit",
    "metrics": "metrics-agent",
    "trivy": "trivy-operator",
    "opensearch": "siem",
    "dashboards": "siem-dashboards",
    "alertmanager": "alertmanager",
    "grafana": "grafana",
    "gateway": "ingest-gateway",
    "hub-prometheus": "hub-metrics",
}

#: Service of the OpenSearch nodes (the chart names it ``<clusterName>-<nodeGroup>``).
OPENSEARCH_SERVICE = "security-hub-master"

#: Secrets issued by the platform (cert-manager ``Certificate``s or the secret store).
#: Only names appear in values; the keys never leave the cluster.
SECRETS: dict[str, str] = {
    # Agents (zone-monitoring of each workload cluster)
    "agent-client-tls": "monitoring-hub-client-tls",      # mTLS client cert to the hub (CN = cluster name)
    "otlp-server-tls": "monitoring-otlp-server-tls",      # server cert of the in-cluster OTLP collector
    "archive-ca": "monitoring-archive-ca",                # key: ca.crt (CA of the archives' serving certs)
    "archive-metrics": "monitoring-archive-metrics",      # keys: username, password (Orthanc metrics reader)
    # Hub (security-hub namespace of the management cluster)
    "ingest-server-tls": "hub-ingest-server-tls",         # events./logs./metrics./alerts. hostnames
    "ingest-client-ca": "hub-ingest-client-ca",           # CA that signs the agents' client certs (ca.crt)
    "opensearch-node-tls": "siem-node-tls",               # OpenSearch transport and HTTP certificates
    "opensearch-admin-tls": "siem-admin-tls",             # securityadmin client certificate
    "opensearch-security-config": "siem-security-config",  # internal users, roles, OIDC backend
    "opensearch-writer": "siem-writer-credentials",       # keys: username, password (gateway's index writer)
    "opensearch-rules-loader": "siem-rules-loader-credentials",  # keys: username, password
    "audit-archive-s3": "audit-archive-s3-credentials",   # keys: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
    "pager-webhook": "alert-receiver-pager-url",           # key: url  (on-call paging service)
    "soc-webhook": "alert-receiver-soc-queue-url",         # key: url  (SOC ticket queue)
    "service-desk-webhook": "alert-receiver-service-desk-url",  # key: url  (platform service desk)
    "grafana-oidc": "grafana-oidc-client",                 # keys: client_id, client_secret
}

#: The fields every shipped record carries, added on the cluster before it leaves.
TAG_FIELDS = ("imaging.region", "imaging.cluster", "imaging.trust", "imaging.namespace")

FALCOSIDEKICK_PORT = 2801
#: Fluent Bit's HTTP input that falcosidekick posts Falco events to (inside the zone).
FALCO_EVENTS_PORT = 9880
FLUENT_BIT_METRICS_PORT = 2020
FALCO_METRICS_PORT = 8765
#: Where the agents' API server audit log is (kubeadm extraArgs of the ClusterClass).
AUDIT_LOG_PATH = "/var/log/kubernetes/audit/audit.log"
#: Pod label of the trust archives (charts/vna-archive), used by rules and scraping.
ARCHIVE_APP = "vna-archive"
CONTROL_PLANE_TOLERATIONS = [
    {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"},
]
#: Containers run unprivileged wherever the component allows it.
RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


def resources(cpu_req: str, mem_req: str, cpu_lim: str, mem_lim: str) -> dict[str, Any]:
    return {"requests": {"cpu": cpu_req, "memory": mem_req}, "limits": {"cpu": cpu_lim, "memory": mem_lim}}


# --------------------------------------------------------------------------------------
# Buffers
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Buffers:
    """Disk budgets of one agent node while the hub is unreachable.

    Fluent Bit keeps every chunk on disk (``storage.type filesystem``) until the hub
    acknowledges it and retries forever; ``storage.total_limit_size`` per output caps the
    disk, after which the oldest chunks of *that stream* are dropped. Audit gets the
    largest budget: it is the evidence of record.
    """

    audit: str = "6G"
    events: str = "1G"
    logs: str = "3G"
    #: Memory for chunks being processed; the rest stays on disk.
    backlog_memory: str = "64M"
    #: Hub gateway: per-output on-disk budget while OpenSearch or the object store is down.
    gateway: str = "6G"
    #: Prometheus agent WAL volume (it keeps ~2h of samples while remote write is failing).
    prometheus_wal: str = "20Gi"


BUFFERS = Buffers()
BUFFER_HOST_PATH = "/var/lib/fluent-bit"


# --------------------------------------------------------------------------------------
# Agents
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AgentSettings:
    """Plain facts the agents' values need (the component resolves the hub contract)."""

    cluster: str
    region: str
    registry: str
    namespace: str
    #: namespace -> ODS code of every trust hosted on this cluster.
    trusts: Mapping[str, str]
    #: The contract's endpoints: events, logs, metrics, alerts (https URLs).
    endpoints: Mapping[str, str]
    node_cidr: str
    #: Trust namespaces allowed to open archive connections on this cluster (consumers
    #: of a live same-cluster agreement) and through the exchange (cross-cluster).
    same_cluster_consumers: tuple[str, ...] = ()
    cross_cluster_consumers: tuple[str, ...] = ()
    oidc_groups_prefix: str = "oidc:"


def _endpoint(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"hub endpoint {url!r} must be an https URL (mTLS)")
    return parts.hostname, parts.port or 443, parts.path or "/"


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal for this charset


def enrich_lua(s: AgentSettings) -> str:
    """The Fluent Bit Lua filter that tags every record with region, cluster and trust.

    ``imaging.trust`` is the ODS code of the namespace the record concerns:
    ``objectRef.namespace`` (API audit), ``k8s.ns.name`` (Falco) or the pod's own
    namespace (container logs). The namespace -> ODS table is
    generated from the estate, the same source as the ``imaging.nhs.uk/trust`` namespace
    label. ``imaging.actor_trusts`` lists the trusts whose identity-provider groups the
    requesting user belongs to (API audit only).
    """
    table = ",\n".join(f"  [{_lua_string(ns)}] = {_lua_string(ods)}" for ns, ods in sorted(s.trusts.items()))
    group_prefix = f"{s.oidc_groups_prefix}imaging-cloud:"
    return f"""-- Generated by infra/monitoring/values.py for cluster {s.cluster}: do not edit.
local REGION = {_lua_string(s.region)}
local CLUSTER = {_lua_string(s.cluster)}
local GROUP_PREFIX = {_lua_string(group_prefix)}
local TRUSTS = {{
{table}
}}

local function field(record, key, sub)
  local value = record[key]
  if type(value) == "table" then
    return value[sub]
  end
  return nil
end

local function namespace_of(record)
  return field(record, "objectRef", "namespace")
    or field(record, "output_fields", "k8s.ns.name")
    or field(record, "kubernetes", "namespace_name")
end

local function actor_trusts(record)
  local groups = field(record, "user", "groups")
  if type(groups) ~= "table" then
    return nil
  end
  local found, seen = {{}}, {{}}
  for _, group in ipairs(groups) do
    if type(group) == "string" and group:sub(1, #GROUP_PREFIX) == GROUP_PREFIX then
      local ods = group:sub(#GROUP_PREFIX + 1):match("^([A-Z0-9]+):")
      if ods and not seen[ods] then
        seen[ods] = true
        found[#found + 1] = ods
      end
    end
  end
  if #found == 0 then
    return nil
  end
  return found
end

local function source_of(tag)
  if tag:sub(1, 6) == "audit." then return "k8s-audit" end
  if tag:sub(1, 6) == "falco." then return "falco" end
  if tag:sub(1, 5) == "otel." then return "otlp" end
  return "container"
end

function enrich(tag, timestamp, record)
  local imaging = {{ region = REGION, cluster = CLUSTER, source = source_of(tag) }}
  local namespace = namespace_of(record)
  if type(namespace) == "string" and namespace ~= "" then
    imaging["namespace"] = namespace
    imaging["trust"] = TRUSTS[namespace]
  end
  imaging["actor_trusts"] = actor_trusts(record)
  record["imaging"] = imaging
  return 2, timestamp, record
end
"""


def _hub_output(name: str, match: str, url: str, uri: str, limit: str) -> str:
    host, port, _ = _endpoint(url)
    return f"""[OUTPUT]
    Name                     http
    Alias                    hub-{name}
    Match                    {match}
    Host                     {host}
    Port                     {port}
    URI                      {uri}
    Format                   json
    json_date_key            @timestamp
    json_date_format         iso8601
    compress                 gzip
    tls                      On
    tls.verify               On
    tls.ca_file              /fluent-bit/tls/hub/ca.crt
    tls.crt_file             /fluent-bit/tls/hub/tls.crt
    tls.key_file             /fluent-bit/tls/hub/tls.key
    net.connect_timeout      10
    Retry_Limit              no_limits
    storage.total_limit_size {limit}
"""


def fluent_bit_config(s: AgentSettings) -> dict[str, str]:
    """Fluent Bit pipeline of a workload cluster (classic configuration sections)."""
    service = f"""[SERVICE]
    Daemon                    Off
    Flush                     5
    Log_Level                 info
    Parsers_File              /fluent-bit/etc/parsers.conf
    HTTP_Server               On
    HTTP_Listen               0.0.0.0
    HTTP_Port                 {FLUENT_BIT_METRICS_PORT}
    Health_Check              On
    storage.path              {BUFFER_HOST_PATH}/buffer
    storage.sync              normal
    storage.checksum          On
    storage.max_chunks_up     128
    storage.backlog.mem_limit {BUFFERS.backlog_memory}
    storage.metrics           On
"""
    inputs = f"""[INPUT]
    Name              tail
    Alias             containers
    Tag               kube.*
    Path              /var/log/containers/*.log
    Exclude_Path      /var/log/containers/fluent-bit-*_{s.namespace}_*.log
    multiline.parser  cri, docker
    DB                {BUFFER_HOST_PATH}/state/containers.db
    Mem_Buf_Limit     64MB
    Skip_Long_Lines   On
    Refresh_Interval  10
    storage.type      filesystem

[INPUT]
    Name              tail
    Alias             k8s-audit
    Tag               audit.k8s
    Path              {AUDIT_LOG_PATH}
    Parser            json
    DB                {BUFFER_HOST_PATH}/state/audit.db
    Buffer_Chunk_Size 512k
    Buffer_Max_Size   4MB
    Mem_Buf_Limit     64MB
    Skip_Long_Lines   On
    Rotate_Wait       30
    storage.type      filesystem

[INPUT]
    Name              http
    Alias             falco-events
    Tag               falco.events
    Listen            0.0.0.0
    Port              {FALCO_EVENTS_PORT}
    storage.type      filesystem

[INPUT]
    Name              opentelemetry
    Alias             otlp-from-trusts
    Tag               otel.trust
    Listen            0.0.0.0
    Port              {OTLP.number}
    tls               On
    tls.verify        On
    tls.ca_file       /fluent-bit/tls/otlp/ca.crt
    tls.crt_file      /fluent-bit/tls/otlp/tls.crt
    tls.key_file      /fluent-bit/tls/otlp/tls.key
    storage.type      filesystem
"""
    filters = """[FILTER]
    Name                kubernetes
    Match               kube.*
    Kube_Tag_Prefix     kube.var.log.containers.
    Merge_Log           On
    Keep_Log            Off
    Labels              On
    Annotations         Off
    # Tenants must not be able to hide their logs from security monitoring.
    K8S-Logging.Exclude Off
    K8S-Logging.Parser  Off
    Buffer_Size         256k

[FILTER]
    Name    lua
    Match   *
    script  /fluent-bit/scripts/imaging_enrich.lua
    call    enrich
"""
    e = s.endpoints
    outputs = "\n".join([
        _hub_output("audit", "audit.*", e["logs"], "/audit", BUFFERS.audit),
        _hub_output("events", "falco.*", e["events"], "/events", BUFFERS.events),
        _hub_output("logs", "kube.*", e["logs"], "/logs", BUFFERS.logs),
        _hub_output("otlp", "otel.*", e["logs"], "/logs", BUFFERS.logs),
    ])
    return {"service": service, "inputs": inputs, "filters": filters, "outputs": outputs}


def fluent_bit_values(s: AgentSettings) -> dict[str, Any]:
    """Fluent Bit DaemonSet on every node, control plane included (the audit log is there)."""
    img = IMAGES["fluent-bit"]
    return {
        "kind": "DaemonSet",
        "image": {**img.joined(s.registry), "pullPolicy": "IfNotPresent"},
        "testFramework": {"enabled": False},
        "priorityClassName": "system-node-critical",
        "tolerations": CONTROL_PLANE_TOLERATIONS,
        "resources": resources("100m", "128Mi", "1", "512Mi"),
        # Reads root-owned node log files: root, but no privilege escalation or capabilities.
        "podSecurityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "runAsUser": 0,
        },
        "service": {"type": "ClusterIP", "port": FLUENT_BIT_METRICS_PORT},
        "extraPorts": [
            {"name": "falco-events", "port": FALCO_EVENTS_PORT, "containerPort": FALCO_EVENTS_PORT, "protocol": "TCP"},
            {"name": "otlp", "port": OTLP.number, "containerPort": OTLP.number, "protocol": "TCP"},
        ],
        "extraVolumes": [
            {"name": "buffer", "hostPath": {"path": BUFFER_HOST_PATH, "type": "DirectoryOrCreate"}},
            {"name": "hub-tls", "secret": {"secretName": SECRETS["agent-client-tls"], "defaultMode": 0o400}},
            {"name": "otlp-tls", "secret": {"secretName": SECRETS["otlp-server-tls"], "defaultMode": 0o400}},
        ],
        "extraVolumeMounts": [
            {"name": "buffer", "mountPath": BUFFER_HOST_PATH},
            {"name": "hub-tls", "mountPath": "/fluent-bit/tls/hub", "readOnly": True},
            {"name": "otlp-tls", "mountPath": "/fluent-bit/tls/otlp", "readOnly": True},
        ],
        "luaScripts": {"imaging_enrich.lua": enrich_lua(s)},
        "config": fluent_bit_config(s),
        "serviceMonitor": {"enabled": False},
        "podAnnotations": {"imaging.nhs.uk/buffer-budget": f"audit={BUFFERS.audit},events={BUFFERS.events},logs={BUFFERS.logs}"},
    }


def falco_values(s: AgentSettings, custom_rules: Mapping[str, str]) -> dict[str, Any]:
    """Falco (modern eBPF) on every node, events to falcosidekick.

    falcosidekick fans out to two places: the zone's Fluent Bit (which buffers on disk
    and retries forever, so no event is lost while the hub is unreachable) and, for
    critical events only, straight to the hub's Alertmanager over mTLS (fast path for
    paging; Alertmanager de-duplicates with the alert the hub raises from the same event).
    """
    alerts_host, alerts_port, _ = _endpoint(s.endpoints["alerts"])
    reg = s.registry
    return {
        "image": {**IMAGES["falco"].split(reg), "pullPolicy": "IfNotPresent"},
        "driver": {"enabled": True, "kind": "modern_ebpf", "modernEbpf": {"leastPrivileged": False}},
        "tolerations": CONTROL_PLANE_TOLERATIONS,
        "resources": resources("100m", "512Mi", "1", "1Gi"),
        "podPriorityClassName": "system-node-critical",
        "collectors": {
            "enabled": True,
            "containerEngine": {"enabled": True, "pluginRef": f"{reg}/{MIRROR}/{FALCO_ARTIFACTS['container']}"},
            "kubernetes": {"enabled": True, "pluginRef": f"{reg}/{MIRROR}/{FALCO_ARTIFACTS['k8smeta']}"},
        },
        "falcoctl": {
            "image": {**IMAGES["falcoctl"].split(reg), "pullPolicy": "IfNotPresent"},
            "artifact": {
                "install": {"enabled": True, "resources": resources("10m", "32Mi", "200m", "128Mi")},
                # No drift at run time: what runs is what was reviewed.
                "follow": {"enabled": False},
            },
            "config": {
                "indexes": [],
                "artifact": {
                    "allowedTypes": ["rulesfile", "plugin"],
                    "install": {
                        "resolveDeps": False,
                        "refs": [f"{reg}/{MIRROR}/{ref}" for ref in FALCO_ARTIFACTS.values()],
                    },
                },
            },
        },
        "customRules": dict(custom_rules),
        "falco": {
            "rules_files": ["/etc/falco/falco_rules.yaml", "/etc/falco/rules.d"],
            "priority": "notice",
            "json_output": True,
            "json_include_output_property": True,
            "json_include_tags_property": True,
            "buffered_outputs": False,
            # Bounded queue between the event engine and the outputs.
            "outputs_queue": {"capacity": 100000},
            "syscall_event_drops": {"actions": ["log", "alert"], "rate": 0.03333, "max_burst": 1},
        },
        "metrics": {"enabled": True, "interval": "5m", "outputRule": False},
        "falcosidekick": {
            "enabled": True,
            "replicaCount": 2,
            "image": {**IMAGES["falcosidekick"].split(reg), "pullPolicy": "IfNotPresent"},
            "resources": resources("20m", "64Mi", "500m", "256Mi"),
            "podSecurityContext": {**RESTRICTED_POD, "runAsUser": 1234, "fsGroup": 1234},
            "securityContext": RESTRICTED_CONTAINER,
            "webui": {"enabled": False},
            "extraVolumes": [{"name": "hub-tls", "secret": {"secretName": SECRETS["agent-client-tls"],
                                                            "defaultMode": 0o440}}],
            "extraVolumeMounts": [{"name": "hub-tls", "mountPath": "/etc/certs/hub", "readOnly": True}],
            "config": {
                "customfields": f"region:{s.region},cluster:{s.cluster}",
                "mutualtlsclient": {
                    "certfile": "/etc/certs/hub/tls.crt",
                    "keyfile": "/etc/certs/hub/tls.key",
                    "cacertfile": "/etc/certs/hub/ca.crt",
                },
                "webhook": {
                    "address": f"http://{RELEASES['fluent-bit']}.{s.namespace}.svc:{FALCO_EVENTS_PORT}/",
                    "minimumpriority": "notice",
                },
                "alertmanager": {
                    "hostport": f"https://{alerts_host}:{alerts_port}",
                    "endpoint": "/api/v2/alerts",
                    "minimumpriority": "critical",
                    "mutualtls": True,
                    "checkcert": True,
                    "extralabels": f"region:{s.region},cluster:{s.cluster},source:falco",
                },
            },
        },
        "k8s-metacollector": {
            "image": {**IMAGES["k8s-metacollector"].split(reg), "pullPolicy": "IfNotPresent"},
            "resources": resources("50m", "128Mi", "500m", "512Mi"),
            "podSecurityContext": {**RESTRICTED_POD, "runAsUser": 1000},
            "containerSecurityContext": RESTRICTED_CONTAINER,
        },
    }


def prometheus_agent_values(s: AgentSettings) -> dict[str, Any]:
    """Prometheus in agent mode: scrape, keep a WAL on disk, remote-write to the hub."""
    reg = s.registry
    url = s.endpoints["metrics"]
    _endpoint(url)
    tls_secret = SECRETS["agent-client-tls"]
    return {
        "fullnameOverride": RELEASES["metrics"],
        "global": {"imageRegistry": f"{reg}/{MIRROR}"},
        "crds": {"enabled": True},
        "defaultRules": {"create": False},  # agents do not evaluate rules; the hub does
        "alertmanager": {"enabled": False},
        "grafana": {"enabled": False},
        "kubeStateMetrics": {"enabled": True},
        "nodeExporter": {"enabled": True},
        "kube-state-metrics": {
            "image": IMAGES["kube-state-metrics"].split(reg),
            "resources": resources("10m", "64Mi", "200m", "256Mi"),
        },
        "prometheus-node-exporter": {
            "image": IMAGES["node-exporter"].split(reg),
            "resources": resources("10m", "32Mi", "200m", "128Mi"),
            "tolerations": CONTROL_PLANE_TOLERATIONS,
        },
        "prometheusOperator": {
            "image": IMAGES["prometheus-operator"].split(reg),
            "prometheusConfigReloader": {
                "image": IMAGES["prometheus-config-reloader"].split(reg),
                "resources": resources("10m", "32Mi", "100m", "64Mi"),
            },
            "admissionWebhooks": {"enabled": False},
            "tls": {"enabled": False},
            "resources": resources("50m", "128Mi", "500m", "256Mi"),
        },
        "prometheus": {
            "agentMode": True,
            "prometheusSpec": {
                "image": IMAGES["prometheus"].split(reg),
                "replicas": 1,
                "externalLabels": {"cluster": s.cluster, "region": s.region},
                "resources": resources("200m", "1Gi", "2", "4Gi"),
                "securityContext": {**RESTRICTED_POD, "runAsUser": 65534, "runAsGroup": 65534, "fsGroup": 65534},
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                # The WAL lives on a persistent volume: samples survive a pod restart and are
                # replayed to the hub once it is reachable again.
                "storageSpec": {"volumeClaimTemplate": {"spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": BUFFERS.prometheus_wal}},
                }}},
                "secrets": [tls_secret, SECRETS["archive-ca"], SECRETS["archive-metrics"]],
                "remoteWrite": [{
                    "name": "national-hub",
                    "url": url,
                    "tlsConfig": {
                        "ca": {"secret": {"name": tls_secret, "key": "ca.crt"}},
                        "cert": {"secret": {"name": tls_secret, "key": "tls.crt"}},
                        "keySecret": {"name": tls_secret, "key": "tls.key"},
                        "insecureSkipVerify": False,
                    },
                    "queueConfig": {"capacity": 10000, "maxShards": 20, "maxSamplesPerSend": 2000,
                                    "minBackoff": "1s", "maxBackoff": "5m", "retryOnRateLimit": True},
                }],
                "additionalScrapeConfigs": [{
                    # Archive metrics (Orthanc /tools/metrics-prometheus over HTTPS), by trust.
                    "job_name": "trust-archives",
                    "scheme": "https",
                    "metrics_path": "/tools/metrics-prometheus",
                    "tls_config": {"insecure_skip_verify": False,
                                   "ca_file": f"/etc/prometheus/secrets/{SECRETS['archive-ca']}/ca.crt"},
                    # Orthanc protects its metrics like any other route (HTTP Basic).
                    "basic_auth": {
                        "username_file": f"/etc/prometheus/secrets/{SECRETS['archive-metrics']}/username",
                        "password_file": f"/etc/prometheus/secrets/{SECRETS['archive-metrics']}/password",
                    },
                    "kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": sorted(s.trusts)}}],
                    "relabel_configs": [
                        {"source_labels": ["__meta_kubernetes_pod_label_app_kubernetes_io_name"],
                         "regex": ARCHIVE_APP, "action": "keep"},
                        {"source_labels": ["__meta_kubernetes_pod_container_port_number"],
                         "regex": str(ARCHIVE_HTTPS.number), "action": "keep"},
                        {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
                        {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
                    ] + [
                        {"source_labels": ["__meta_kubernetes_namespace"], "regex": ns, "target_label": "trust",
                         "replacement": ods}
                        for ns, ods in sorted(s.trusts.items())
                    ],
                }],
            },
        },
    }


def trivy_operator_values(s: AgentSettings) -> dict[str, Any]:
    """Trivy Operator: vulnerability and config-audit reports; databases from the mirror."""
    reg = s.registry
    return {
        "image": IMAGES["trivy-operator"].split(reg),
        "resources": resources("100m", "256Mi", "1", "1Gi"),
        "podSecurityContext": {**RESTRICTED_POD, "runAsUser": 10000, "fsGroup": 10000},
        "securityContext": RESTRICTED_CONTAINER,
        "targetNamespaces": "",
        "operator": {
            "scanJobsConcurrentLimit": 2,
            "scanJobTimeout": "10m",
            "vulnerabilityScannerScanOnlyCurrentRevisions": True,
            "metricsVulnIdEnabled": True,
            "exposedSecretScannerEnabled": True,
            "builtInTrivyServer": False,
        },
        "trivyOperator": {
            "scanJobTolerations": CONTROL_PLANE_TOLERATIONS,
            "scanJobPodTemplatePodSecurityContext": {**RESTRICTED_POD, "runAsUser": 10000},
            "scanJobPodTemplateContainerSecurityContext": RESTRICTED_CONTAINER,
        },
        "trivy": {
            "image": IMAGES["trivy"].split(reg),
            "mode": "Standalone",
            "dbRegistry": f"{reg}/{MIRROR}",
            "dbRepository": "aquasecurity/trivy-db",
            "javaDbRegistry": f"{reg}/{MIRROR}",
            "javaDbRepository": "aquasecurity/trivy-java-db",
            "resources": resources("100m", "100M", "1", "1Gi"),
            "severity": "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL",
        },
        "nodeCollector": {**IMAGES["node-collector"].split(reg), "tolerations": CONTROL_PLANE_TOLERATIONS},
        "serviceMonitor": {"enabled": True},
    }


# --------------------------------------------------------------------------------------
# Hub
# --------------------------------------------------------------------------------------

#: Alertmanager severities, highest first, and who gets them.
SEVERITY_ROUTES: dict[str, dict[str, Any]] = {
    "critical": {"receiver": "on-call-pager", "continue": True, "repeat_interval": "30m"},
    "high": {"receiver": "soc-queue", "continue": False, "repeat_interval": "4h"},
    "medium": {"receiver": "soc-queue", "continue": False, "repeat_interval": "12h"},
    "low": {"receiver": "siem-only", "continue": False, "repeat_interval": "24h"},
    "info": {"receiver": "siem-only", "continue": False, "repeat_interval": "24h"},
}
#: Falco priority and Sigma level -> the estate's severity label.
FALCO_SEVERITY = {"EMERGENCY": "critical", "ALERT": "critical", "CRITICAL": "critical", "ERROR": "high",
                  "WARNING": "medium", "NOTICE": "low", "INFORMATIONAL": "info", "INFO": "info", "DEBUG": "info"}
SIGMA_SEVERITY = {"critical": "critical", "high": "high", "medium": "medium", "low": "low", "informational": "info"}


@dataclasses.dataclass(frozen=True)
class HubSettings:
    cluster: str
    region: str
    registry: str
    namespace: str
    domain: str
    endpoints: Mapping[str, str]
    audit_retention_days: int
    production: bool
    #: S3 endpoint (HTTPS) of the object store holding the immutable audit archive.
    object_store_endpoint: str
    audit_bucket: str = "security-audit-archive"
    ingress_class: str = "nginx"
    #: Days the SIEM keeps searchable ("hot") data; the archive keeps it for audit_retention_days.
    siem_hot_days: int = 90

    @property
    def replicas(self) -> int:
        """3 in production (quorum of OpenSearch cluster managers, no single point of
        failure in Alertmanager's gossip cluster), 1 in dev."""
        return 3 if self.production else 1


def _spread(release: str, production: bool) -> dict[str, Any]:
    """Hard anti-affinity across nodes plus a soft spread across zones (production)."""
    if not production:
        return {}
    selector = {"matchLabels": {"app.kubernetes.io/instance": release}}
    return {
        "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": selector, "topologyKey": "kubernetes.io/hostname"}]}},
        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                       "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": selector}],
    }


def opensearch_values(h: HubSettings) -> dict[str, Any]:
    """OpenSearch: every node cluster-manager-eligible + data + ingest (3 in production)."""
    img = IMAGES["opensearch"]
    certs = "/usr/share/opensearch/config/certs"
    config = "\n".join([
        "cluster.name: security-hub",
        "network.host: 0.0.0.0",
        f"plugins.security.ssl.transport.pemcert_filepath: certs/tls.crt",
        f"plugins.security.ssl.transport.pemkey_filepath: certs/tls.key",
        f"plugins.security.ssl.transport.pemtrustedcas_filepath: certs/ca.crt",
        "plugins.security.ssl.transport.enforce_hostname_verification: true",
        "plugins.security.ssl.http.enabled: true",
        f"plugins.security.ssl.http.pemcert_filepath: certs/tls.crt",
        f"plugins.security.ssl.http.pemkey_filepath: certs/tls.key",
        f"plugins.security.ssl.http.pemtrustedcas_filepath: certs/ca.crt",
        "plugins.security.allow_default_init_securityindex: false",
        "plugins.security.audit.type: internal_opensearch",
        "plugins.security.restapi.roles_enabled: [\"all_access\", \"security_rest_api_access\"]",
        f"plugins.security.nodes_dn: [\"CN=*.{OPENSEARCH_SERVICE}-headless.{h.namespace}.svc\"]",
        "plugins.security.authcz.admin_dn: [\"CN=siem-admin\"]",
        "action.destructive_requires_name: true",
        "",
    ])
    return {
        "clusterName": "security-hub",
        "nodeGroup": "master",
        "singleNode": not h.production,
        "replicas": h.replicas,
        "roles": ["cluster_manager", "ingest", "data", "remote_cluster_client"],
        "image": {**img.joined(h.registry), "pullPolicy": "IfNotPresent"},
        "opensearchJavaOpts": "-Xms4g -Xmx4g" if h.production else "-Xms1g -Xmx1g",
        "resources": resources("2", "8Gi", "4", "8Gi") if h.production else resources("500m", "2Gi", "2", "2Gi"),
        "persistence": {"enabled": True, "size": "500Gi" if h.production else "20Gi", "enableInitChown": False},
        "sysctlInit": {"enabled": False},
        "antiAffinity": "hard" if h.production else "soft",
        "maxUnavailable": 1,
        "podSecurityContext": {"fsGroup": 1000, "runAsUser": 1000, "runAsNonRoot": True,
                               "seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                            "runAsNonRoot": True, "runAsUser": 1000},
        "extraEnvs": [{"name": "DISABLE_INSTALL_DEMO_CONFIG", "value": "true"}],
        "secretMounts": [
            {"name": "node-tls", "secretName": SECRETS["opensearch-node-tls"], "path": certs},
            {"name": "admin-tls", "secretName": SECRETS["opensearch-admin-tls"], "path": f"{certs}/admin"},
        ],
        "securityConfig": {"enabled": True, "path": "/usr/share/opensearch/config/opensearch-security",
                           "config": {"securityConfigSecret": SECRETS["opensearch-security-config"]}},
        "config": {"opensearch.yml": config},
        "plugins": {"enabled": False},  # Security Analytics and Alerting ship in the image; nothing is downloaded
    }


def dashboards_values(h: HubSettings) -> dict[str, Any]:
    return {
        "replicaCount": 2 if h.production else 1,
        "image": {**IMAGES["opensearch-dashboards"].joined(h.registry), "pullPolicy": "IfNotPresent"},
        "opensearchHosts": f"https://{OPENSEARCH_SERVICE}:9200",
        "resources": resources("200m", "512Mi", "1", "1Gi"),
        "podSecurityContext": {**RESTRICTED_POD, "fsGroup": 1000},
        "securityContext": {**RESTRICTED_CONTAINER, "readOnlyRootFilesystem": False, "runAsUser": 1000},
        "secretMounts": [{"name": "node-tls", "secretName": SECRETS["opensearch-node-tls"],
                          "path": "/usr/share/opensearch-dashboards/certs"}],
        **_spread(RELEASES["dashboards"], h.production),
    }


def alertmanager_config(h: HubSettings) -> dict[str, Any]:
    """Routes per severity. Receivers' URLs are files mounted from Secrets (names only)."""
    def webhook(secret_key: str) -> dict[str, Any]:
        return {"url_file": f"/etc/alertmanager/receivers/{SECRETS[secret_key]}/url", "send_resolved": True,
                "max_alerts": 50}

    grouping = ["alertname", "region", "cluster", "trust"]
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": "soc-queue",  # anything without a known severity reaches a human
            "group_by": grouping,
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                # Agent health goes to the platform service desk, not the SOC.
                {"matchers": ['category="agent-health"'], "receiver": "service-desk"},
            ] + [
                {"matchers": [f'severity="{severity}"'], "receiver": r["receiver"], "continue": r["continue"],
                 "repeat_interval": r["repeat_interval"]}
                for severity, r in SEVERITY_ROUTES.items()
            ] + [
                # Critical alerts also open a SOC ticket (the pager route above continues here).
                {"matchers": ['severity="critical"'], "receiver": "soc-queue"},
            ],
        },
        # A critical alert for a trust silences the high/medium ones of the same trust and rule.
        "inhibit_rules": [{
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity=~"high|medium"'],
            "equal": ["alertname", "region", "cluster", "trust"],
        }],
        "receivers": [
            {"name": "on-call-pager", "webhook_configs": [webhook("pager-webhook")]},
            {"name": "soc-queue", "webhook_configs": [webhook("soc-webhook")]},
            {"name": "service-desk", "webhook_configs": [webhook("service-desk-webhook")]},
            {"name": "siem-only"},  # kept in the SIEM; no notification
        ],
    }


def alertmanager_values(h: HubSettings) -> dict[str, Any]:
    return {
        "replicaCount": h.replicas,  # >1 forms a gossip cluster: notifications are de-duplicated
        "image": {**IMAGES["alertmanager"].joined(h.registry), "pullPolicy": "IfNotPresent"},
        "resources": resources("50m", "128Mi", "500m", "512Mi"),
        "podSecurityContext": {**RESTRICTED_POD, "runAsUser": 65534, "runAsGroup": 65534, "fsGroup": 65534},
        "securityContext": RESTRICTED_CONTAINER,
        "persistence": {"enabled": True, "size": "10Gi"},
        "podDisruptionBudget": {"maxUnavailable": 1} if h.production else {},
        "config": alertmanager_config(h),
        "extraSecretMounts": [
            {"name": SECRETS[k], "secretName": SECRETS[k], "mountPath": f"/etc/alertmanager/receivers/{SECRETS[k]}",
             "readOnly": True}
            for k in ("pager-webhook", "soc-webhook", "service-desk-webhook")
        ],
        "configmapReload": {"enabled": False},
        **_spread(RELEASES["alertmanager"], h.production),
    }


def _dashboard_panel(title: str, expr: str, y: int, legend: str) -> dict[str, Any]:
    return {
        "type": "timeseries", "title": title, "gridPos": {"x": 0, "y": y, "w": 24, "h": 8},
        "datasource": {"type": "prometheus", "uid": "hub-prometheus"},
        "targets": [{"expr": expr, "legendFormat": legend, "refId": "A"}],
    }


def security_overview_dashboard() -> dict[str, Any]:
    """Estate security overview: where alerts come from, and whether every agent reports."""
    panels = [
        _dashboard_panel("Firing alerts by region, cluster, trust",
                         'sum by (region, cluster, trust, severity) (ALERTS{alertstate="firing"})', 0,
                         "{{region}} / {{cluster}} / {{trust}} ({{severity}})"),
        _dashboard_panel("Falco events per minute by cluster",
                         "sum by (region, cluster) (rate(falcosecurity_falco_rules_matches_total[5m])) * 60", 8,
                         "{{region}} / {{cluster}}"),
        _dashboard_panel("Log shipper records dropped (buffer full or rejected)",
                         "sum by (region, cluster, name) (increase(fluentbit_output_dropped_records_total[1h]))", 16,
                         "{{region}} / {{cluster}} {{name}}"),
        _dashboard_panel("Log shipper retries failing",
                         "sum by (region, cluster, name) (rate(fluentbit_output_retries_failed_total[5m]))", 24,
                         "{{region}} / {{cluster}} {{name}}"),
        _dashboard_panel("Critical and high vulnerabilities by trust",
                         'sum by (region, cluster, namespace) (trivy_image_vulnerabilities{severity=~"Critical|High"})',
                         32, "{{region}} / {{cluster}} / {{namespace}}"),
    ]
    return {"uid": "imaging-security-overview", "title": "Imaging estate: security overview",
            "tags": ["security", "imaging-cloud"], "timezone": "utc", "schemaVersion": 39,
            "time": {"from": "now-24h", "to": "now"}, "panels": panels}


def grafana_values(h: HubSettings) -> dict[str, Any]:
    """Grafana: stateless (provisioned dashboards, OIDC login), so replicas need no shared DB."""
    return {
        "replicas": 2 if h.production else 1,
        "image": {"registry": f"{h.registry}/{MIRROR}", "repository": IMAGES["grafana"].path,
                  "tag": IMAGES["grafana"].tag},
        "resources": resources("100m", "256Mi", "1", "512Mi"),
        "securityContext": {**RESTRICTED_POD, "runAsUser": 472, "runAsGroup": 472, "fsGroup": 472},
        "containerSecurityContext": RESTRICTED_CONTAINER,
        "initChownData": {"enabled": False},
        "testFramework": {"enabled": False},
        "persistence": {"enabled": False},
        "sidecar": {"dashboards": {"enabled": False}, "datasources": {"enabled": False}},
        "envFromSecrets": [{"name": SECRETS["grafana-oidc"]}],
        "grafana.ini": {
            "server": {"root_url": f"https://grafana.{h.domain}"},
            "auth": {"disable_login_form": True},
            "auth.generic_oauth": {"enabled": True, "name": "NHS imaging identity", "scopes": "openid profile email groups",
                                   "client_id": "$__env{client_id}", "client_secret": "$__env{client_secret}"},
            "users": {"allow_sign_up": False},
            "analytics": {"reporting_enabled": False, "check_for_updates": False},
            "plugins": {"plugin_admin_enabled": False},
        },
        "datasources": {"datasources.yaml": {"apiVersion": 1, "datasources": [
            {"name": "Hub Prometheus", "uid": "hub-prometheus", "type": "prometheus", "isDefault": True,
             "url": f"http://{RELEASES['hub-prometheus']}-prometheus:9090"},
            {"name": "Alertmanager", "uid": "hub-alertmanager", "type": "alertmanager",
             "url": f"http://{RELEASES['alertmanager']}:9093", "jsonData": {"implementation": "prometheus"}},
        ]}},
        "dashboardProviders": {"dashboardproviders.yaml": {"apiVersion": 1, "providers": [
            {"name": "security", "folder": "Security", "type": "file", "disableDeletion": True,
             "editable": False, "options": {"path": "/var/lib/grafana/dashboards/security"}}]}},
        "dashboards": {"security": {"security-overview": {"json": json.dumps(security_overview_dashboard())}}},
        **_spread(RELEASES["grafana"], h.production),
    }


def gateway_config(h: HubSettings) -> dict[str, str]:
    """The hub's ingestion gateway (behind the mTLS ingress): OpenSearch + object-lock archive.

    ``/audit`` and ``/events`` are written twice: searchable in OpenSearch for
    ``siem_hot_days`` and, as evidence, to the object-lock bucket for
    ``audit_retention_days``. Remote-written metrics are fanned out to every hub
    Prometheus replica, so each replica evaluates rules on complete data and
    Alertmanager de-duplicates their alerts.
    """
    buffer = "/fluent-bit/buffer"
    s3_endpoint = h.object_store_endpoint
    service = f"""[SERVICE]
    Daemon                    Off
    Flush                     5
    Log_Level                 info
    HTTP_Server               On
    HTTP_Listen               0.0.0.0
    HTTP_Port                 {FLUENT_BIT_METRICS_PORT}
    Health_Check              On
    storage.path              {buffer}
    storage.sync              normal
    storage.checksum          On
    storage.backlog.mem_limit 256M
    storage.metrics           On
"""
    inputs = """[INPUT]
    Name          http
    Alias         from-agents
    Listen        0.0.0.0
    Port          9880
    # The URI is the tag: /audit, /events, /logs.
    storage.type  filesystem

[INPUT]
    Name          prometheus_remote_write
    Alias         metrics-from-agents
    Tag           metrics
    Listen        0.0.0.0
    Port          9090
    Uri           /api/v1/write
"""

    def opensearch(match: str, prefix: str) -> str:
        return f"""[OUTPUT]
    Name                     opensearch
    Alias                    siem-{prefix}
    Match                    {match}
    Host                     {OPENSEARCH_SERVICE}
    Port                     9200
    HTTP_User                ${{OPENSEARCH_USERNAME}}
    HTTP_Passwd              ${{OPENSEARCH_PASSWORD}}
    Logstash_Format          On
    Logstash_Prefix          {prefix}
    Suppress_Type_Name       On
    Replace_Dots             On
    Trace_Error              On
    tls                      On
    tls.verify               On
    tls.ca_file              /fluent-bit/tls/siem/ca.crt
    Retry_Limit              no_limits
    storage.total_limit_size {BUFFERS.gateway}
"""

    def archive(match: str) -> str:
        return f"""[OUTPUT]
    Name                     s3
    Alias                    archive-{match}
    Match                    {match}
    bucket                   {h.audit_bucket}
    region                   {h.region}
    endpoint                 {s3_endpoint}
    use_put_object           On
    # Object lock requires Content-MD5 on every PUT.
    send_content_md5         On
    compression              gzip
    total_file_size          50M
    upload_timeout           5m
    s3_key_format            /$TAG/%Y/%m/%d/%H/$UUID.json.gz
    store_dir                {buffer}/s3-{match}
    store_dir_limit_size     {BUFFERS.gateway}
    Retry_Limit              no_limits
"""

    remote_writes = "\n".join(
        f"""[OUTPUT]
    Name                     prometheus_remote_write
    Alias                    hub-prometheus-{i}
    Match                    metrics
    Host                     prometheus-{RELEASES['hub-prometheus']}-prometheus-{i}.prometheus-operated
    Port                     9090
    Uri                      /api/v1/write
    Retry_Limit              no_limits
    storage.total_limit_size {BUFFERS.gateway}
"""
        for i in range(h.replicas)
    )
    outputs = "\n".join([
        opensearch("audit", "k8s-audit"), opensearch("events", "security-events"), opensearch("logs", "logs"),
        archive("audit"), archive("events"), remote_writes,
    ])
    return {"service": service, "inputs": inputs, "filters": "", "outputs": outputs}


def gateway_values(h: HubSettings) -> dict[str, Any]:
    writer = SECRETS["opensearch-writer"]
    s3 = SECRETS["audit-archive-s3"]
    return {
        "kind": "Deployment",
        "fullnameOverride": RELEASES["gateway"],  # the Service the ingest Ingresses point at
        "replicaCount": h.replicas,
        "image": {**IMAGES["fluent-bit"].joined(h.registry), "pullPolicy": "IfNotPresent"},
        "testFramework": {"enabled": False},
        "rbac": {"create": False},
        "resources": resources("250m", "512Mi", "2", "2Gi"),
        "podSecurityContext": {**RESTRICTED_POD, "runAsUser": 10001, "fsGroup": 10001},
        "securityContext": RESTRICTED_CONTAINER,
        "service": {"type": "ClusterIP", "port": FLUENT_BIT_METRICS_PORT},
        "extraPorts": [
            {"name": "ingest", "port": 9880, "containerPort": 9880, "protocol": "TCP"},
            {"name": "remote-write", "port": 9090, "containerPort": 9090, "protocol": "TCP"},
        ],
        "env": [
            {"name": "OPENSEARCH_USERNAME", "valueFrom": {"secretKeyRef": {"name": writer, "key": "username"}}},
            {"name": "OPENSEARCH_PASSWORD", "valueFrom": {"secretKeyRef": {"name": writer, "key": "password"}}},
            {"name": "AWS_ACCESS_KEY_ID", "valueFrom": {"secretKeyRef": {"name": s3, "key": "AWS_ACCESS_KEY_ID"}}},
            {"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": {"secretKeyRef": {"name": s3, "key": "AWS_SECRET_ACCESS_KEY"}}},
        ],
        "daemonSetVolumes": [],
        "daemonSetVolumeMounts": [],
        "extraVolumes": [
            {"name": "buffer", "emptyDir": {"sizeLimit": "60Gi"}},
            {"name": "siem-ca", "secret": {"secretName": SECRETS["opensearch-node-tls"], "items": [{"key": "ca.crt",
                                                                                                  "path": "ca.crt"}]}},
        ],
        "extraVolumeMounts": [
            {"name": "buffer", "mountPath": "/fluent-bit/buffer"},
            {"name": "siem-ca", "mountPath": "/fluent-bit/tls/siem", "readOnly": True},
        ],
        "config": gateway_config(h),
        **_spread(RELEASES["gateway"], h.production),
    }


def hub_prometheus_values(h: HubSettings, rule_groups: list[dict[str, Any]]) -> dict[str, Any]:
    """The hub's Prometheus: receives agents' samples (via the gateway), evaluates rules."""
    reg = h.registry
    return {
        "fullnameOverride": RELEASES["hub-prometheus"],
        "global": {"imageRegistry": f"{reg}/{MIRROR}"},
        "crds": {"enabled": True},
        "defaultRules": {"create": False},
        "alertmanager": {"enabled": False},
        "grafana": {"enabled": False},
        "kubeStateMetrics": {"enabled": False},
        "nodeExporter": {"enabled": False},
        "prometheusOperator": {
            "image": IMAGES["prometheus-operator"].split(reg),
            "prometheusConfigReloader": {"image": IMAGES["prometheus-config-reloader"].split(reg)},
            "admissionWebhooks": {"enabled": False},
            "tls": {"enabled": False},
            "resources": resources("50m", "128Mi", "500m", "256Mi"),
        },
        "additionalPrometheusRulesMap": {"imaging-agent-health": {"groups": rule_groups}},
        "prometheus": {"prometheusSpec": {
            "image": IMAGES["prometheus"].split(reg),
            "replicas": h.replicas if h.production else 1,
            "enableRemoteWriteReceiver": True,
            "retention": "30d",
            "retentionSize": "180GB" if h.production else "15GB",
            "externalLabels": {"hub": h.cluster},
            "ruleSelectorNilUsesHelmValues": False,
            "resources": resources("1", "4Gi", "4", "16Gi") if h.production else resources("200m", "1Gi", "1", "2Gi"),
            "securityContext": {**RESTRICTED_POD, "runAsUser": 65534, "runAsGroup": 65534, "fsGroup": 65534},
            "storageSpec": {"volumeClaimTemplate": {"spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "200Gi" if h.production else "20Gi"}},
            }}},
            "additionalAlertManagerConfigs": [{
                "static_configs": [{"targets": [f"{RELEASES['alertmanager']}:9093"]}],
                "api_version": "v2",
            }],
            **_spread(RELEASES["hub-prometheus"], h.production),
        }},
    }
