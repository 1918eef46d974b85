"""Trust tenancy: the namespace, quota, RBAC and firewall of one NHS trust.

Secure by default, each choice locked by ``tests/unit/test_tenancy.py``:
- Pod Security Admission ``restricted`` is enforced (not only warned): a trust's
  workloads run non-root, without privilege escalation or host access.
- Quotas forbid LoadBalancer and NodePort services: trust endpoints are reachable only
  through the platform's ingress zone, never directly from a network.
- Tenants get read access and pod restarts in their namespace, nothing cluster-wide:
  they cannot edit namespaces, labels, quotas, NetworkPolicies or RBAC, so they cannot
  widen their own isolation or escalate.
- Ingress and egress are denied by default; the only flows are DNS, inside the trust,
  from the ingress zone to the archive, monitoring, and the platform's storage.
"""

from __future__ import annotations

import dataclasses

import pulumi
import pulumi_kubernetes as k8s

from infra.components.segmentation import NamespaceFirewall, Peer
from infra.k8s import REGION_LABEL, TRUST_LABEL, metadata
from infra.model import Cluster, RetentionClass, Trust, Zone
from infra.ports import (
    ARCHIVE_DICOM_TLS,
    ARCHIVE_HTTPS,
    CNPG_STATUS,
    OBJECT_STORE_HTTPS,
    OTLP,
    POSTGRES,
)

#: Label of the archive pods (set by charts/vna-archive); flows target them precisely.
ARCHIVE_POD_LABELS = {"app.kubernetes.io/name": "vna-archive"}
#: The telemetry collector (Fluent Bit) in the monitoring zone: the only pods trusts may send to.
COLLECTOR_POD_LABELS = {"app.kubernetes.io/name": "fluent-bit"}

#: Quota per trust size. Images live in object storage, so PVC storage is the index
#: database only. Zero LoadBalancers and NodePorts: see the module docstring.
QUOTAS: dict[str, dict[str, str]] = {
    "small": {"requests.cpu": "4", "limits.cpu": "8", "requests.memory": "16Gi", "limits.memory": "32Gi",
              "requests.storage": "500Gi", "persistentvolumeclaims": "10", "pods": "30"},
    "medium": {"requests.cpu": "8", "limits.cpu": "16", "requests.memory": "32Gi", "limits.memory": "64Gi",
               "requests.storage": "2Ti", "persistentvolumeclaims": "20", "pods": "60"},
    "large": {"requests.cpu": "16", "limits.cpu": "32", "requests.memory": "64Gi", "limits.memory": "128Gi",
              "requests.storage": "10Ti", "persistentvolumeclaims": "40", "pods": "120"},
}
NO_EXTERNAL_SERVICES = {"services.loadbalancers": "0", "services.nodeports": "0"}

READ_VERBS = ["get", "list", "watch"]
#: What a trust's administrators may do: read their workloads, restart pods. No
#: secrets (credentials are issued by the platform), no exec (it is alerted on), no
#: writes to policy objects.
TRUST_ADMIN_RULES = [
    {"apiGroups": [""], "resources": ["pods", "pods/log", "services", "endpoints", "configmaps",
                                      "events", "persistentvolumeclaims"], "verbs": READ_VERBS},
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]},
    {"apiGroups": ["apps"], "resources": ["deployments", "statefulsets", "replicasets"], "verbs": READ_VERBS},
    {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": READ_VERBS},
    {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": READ_VERBS},
    {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": READ_VERBS},
]
TRUST_READER_RULES = [
    {"apiGroups": [""], "resources": ["pods", "services", "events"], "verbs": READ_VERBS},
    {"apiGroups": ["apps"], "resources": ["deployments", "statefulsets"], "verbs": READ_VERBS},
]


@dataclasses.dataclass(frozen=True)
class TrustTenancyArgs:
    trust: Trust
    cluster: Cluster
    retention: RetentionClass
    zones: dict[str, Zone]
    oidc_groups_prefix: str
    pod_security_version: str


class TrustTenancy(pulumi.ComponentResource):
    """Namespace, Pod Security, quota, RBAC and default-deny firewall of one trust."""

    namespace_name: pulumi.Output[str]

    def __init__(self, name: str, args: TrustTenancyArgs, opts: pulumi.ResourceOptions):
        super().__init__("imaging-cloud:tenancy:TrustTenancy", name, None, opts)
        trust, zones = args.trust, args.zones
        ns = trust.namespace
        labels = {TRUST_LABEL: trust.ods_code.lower(), REGION_LABEL: trust.region}
        child = pulumi.ResourceOptions(parent=self)

        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=metadata(
                ns,
                labels={
                    **labels,
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": args.pod_security_version,
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
                annotations={
                    "imaging.nhs.uk/ods-code": trust.ods_code,
                    "imaging.nhs.uk/organisation": trust.name,
                    "imaging.nhs.uk/retention-class": args.retention.name,
                    "imaging.nhs.uk/retention-worm-days": str(args.retention.worm_floor_days),
                },
            ),
            opts=child,
        )
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])

        k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata=metadata("trust-quota", ns, labels),
            spec={"hard": {**QUOTAS[trust.size], **NO_EXTERNAL_SERVICES}},
            opts=in_ns,
        )
        k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata=metadata("trust-limits", ns, labels),
            spec={"limits": [{
                "type": "Container",
                "default": {"cpu": "1", "memory": "1Gi"},
                "defaultRequest": {"cpu": "100m", "memory": "256Mi"},
                "max": {"cpu": "8", "memory": "32Gi"},
            }]},
            opts=in_ns,
        )

        self._grant(name, ns, labels, "trust-admin", TRUST_ADMIN_RULES,
                    f"{args.oidc_groups_prefix}{trust.admin_group}", in_ns)
        self._grant(name, ns, labels, "trust-reader", TRUST_READER_RULES,
                    f"{args.oidc_groups_prefix}{trust.reader_group}", in_ns)

        firewall = NamespaceFirewall(ns, f"{name}-netpol", in_ns, labels)
        firewall.isolate()
        firewall.allow_from(
            "allow-from-ingress-zone",
            [Peer.namespace_pods(zones["ingress"].namespace)],
            [ARCHIVE_HTTPS, ARCHIVE_DICOM_TLS],
            "DICOMweb and DICOM-TLS from the platform ingress zone to the archive",
            ARCHIVE_POD_LABELS,
        )
        firewall.allow_from(
            "allow-metrics-scrape",
            [Peer.namespace_pods(zones["monitoring"].namespace)],
            [ARCHIVE_HTTPS],
            "Metrics scraped by the monitoring zone",
            ARCHIVE_POD_LABELS,
        )
        firewall.allow_to(
            "allow-to-monitoring-zone",
            [Peer.namespace_pods(zones["monitoring"].namespace, **COLLECTOR_POD_LABELS)],
            [OTLP],
            "Telemetry to the monitoring zone's collectors",
        )
        firewall.allow_from(
            "allow-database-operator",
            [Peer.namespace_pods(zones["system"].namespace)],
            [CNPG_STATUS, POSTGRES],
            "The PostgreSQL operator manages the trust's index database",
        )
        firewall.allow_to(
            "allow-to-object-store",
            [Peer.namespace_pods(zones["system"].namespace)],
            [OBJECT_STORE_HTTPS],
            "Archive and database backups to the platform object store",
        )
        self.firewall = firewall
        self.namespace_name = self.namespace.id.apply(lambda _: ns)
        self.register_outputs({"namespace": self.namespace_name})

    def _grant(self, name, ns, labels, role_name, rules, group, opts) -> None:
        role = k8s.rbac.v1.Role(f"{name}-{role_name}", metadata=metadata(role_name, ns, labels), rules=rules, opts=opts)
        k8s.rbac.v1.RoleBinding(
            f"{name}-{role_name}-binding",
            metadata=metadata(role_name, ns, labels),
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role_name},
            subjects=[{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}],
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[role])),
        )
