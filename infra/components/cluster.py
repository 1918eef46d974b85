"""Clusters: provisioned by Cluster API from the national management cluster, or brought.

The national stack owns one ClusterClass (``nhs-openstack``) and one ``Cluster``
(topology) per region on the management cluster; Cluster API's OpenStack provider
turns them into machines in the private cloud. The API server's audit policy and OIDC
settings are variables of the class, so every cluster gets them; the API load balancer
admits only the management networks and has no floating IP.

Every Kubernetes resource of this project goes through an explicit provider made by
:func:`cluster_provider`; default providers are disabled in ``Pulumi.yaml``.
"""

from __future__ import annotations

import base64
import dataclasses
import json

import pulumi
import pulumi_kubernetes as k8s

from infra import yamlio
from infra.cluster.audit_policy import audit_policy
from infra.k8s import REGION_LABEL, metadata
from infra.model import Cluster, DataCentre, OidcSettings

CLUSTER_NAMESPACE = "imaging-clusters"
CLUSTER_CLASS = "nhs-openstack-v1"
CAPI = "cluster.x-k8s.io/v1beta1"
CAPO = "infrastructure.cluster.x-k8s.io/v1beta1"
KUBEADM_CP = "controlplane.cluster.x-k8s.io/v1beta1"
KUBEADM_BOOTSTRAP = "bootstrap.cluster.x-k8s.io/v1beta1"
AUDIT_POLICY_PATH = "/etc/kubernetes/audit/policy.yaml"
AUDIT_LOG_PATH = "/var/log/kubernetes/audit/audit.log"
#: Readiness condition pulumi-kubernetes waits for before the kubeconfig is read.
WAIT_FOR_CONTROL_PLANE = {"pulumi.com/waitFor": "condition=ControlPlaneInitialized"}


def cluster_provider(cluster: Cluster, kubeconfig: pulumi.Input[str], parent: pulumi.Resource | None = None) -> k8s.Provider:
    """The one explicit provider of ``cluster``.

    Server-side apply so that field ownership is visible to operators; ``delete_unreachable``
    stays off so that an unreachable cluster never makes Pulumi forget archive resources.
    """
    return k8s.Provider(
        f"k8s-{cluster.name}",
        kubeconfig=pulumi.Output.secret(kubeconfig),
        cluster_identifier=cluster.name,
        enable_server_side_apply=True,
        delete_unreachable=False,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _json_patch(path: str, variable: str) -> dict:
    return {"op": "add", "path": path, "valueFrom": {"variable": variable}}


class ClusterClassDefinition(pulumi.ComponentResource):
    """The national ClusterClass and its templates, on the management cluster."""

    def __init__(self, name: str, oidc: OidcSettings, opts: pulumi.ResourceOptions):
        super().__init__("imaging-cloud:cluster:ClusterClassDefinition", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=metadata(CLUSTER_NAMESPACE, labels={"pod-security.kubernetes.io/enforce": "restricted"}),
            opts=child,
        )
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])

        def template(kind: str, api: str, tname: str, spec: dict) -> pulumi.CustomResource:
            return k8s.apiextensions.CustomResource(
                f"{name}-{tname}",
                api_version=api,
                kind=kind,
                metadata=metadata(tname, CLUSTER_NAMESPACE),
                spec=spec,
                opts=in_ns,
            )

        template("OpenStackClusterTemplate", CAPO, "nhs-openstack-cluster", {"template": {"spec": {
            "identityRef": {"cloudName": "nhs-private-cloud", "name": "openstack-cloud-config"},
            "managedSecurityGroups": {"allowAllInClusterTraffic": False},
            # API reachable only on the private network, from the management networks.
            "disableAPIServerFloatingIP": True,
            "apiServerLoadBalancer": {"enabled": True, "allowedCIDRs": []},
        }}})
        for role in ("control-plane", "worker"):
            template("OpenStackMachineTemplate", CAPO, f"nhs-openstack-{role}", {"template": {"spec": {
                "flavor": "m1.xlarge",
                "image": {"filter": {"name": "ubuntu-2404-kube"}},
            }}})
        template("KubeadmControlPlaneTemplate", KUBEADM_CP, "nhs-control-plane", {"template": {"spec": {
            "kubeadmConfigSpec": {
                "clusterConfiguration": {"apiServer": {"extraArgs": {
                    "audit-policy-file": AUDIT_POLICY_PATH,
                    "audit-log-path": AUDIT_LOG_PATH,
                    "audit-log-maxage": "30",
                    "audit-log-maxbackup": "10",
                    "audit-log-maxsize": "100",
                    "oidc-issuer-url": oidc.issuer_url,
                    "oidc-client-id": oidc.client_id,
                    "oidc-username-claim": oidc.username_claim,
                    "oidc-groups-claim": oidc.groups_claim,
                    "oidc-groups-prefix": oidc.groups_prefix,
                    "oidc-username-prefix": "oidc:",
                    "profiling": "false",
                    "tls-min-version": "VersionTLS12",
                    "enable-admission-plugins": "NodeRestriction",
                }, "extraVolumes": [
                    {"name": "audit-policy", "hostPath": "/etc/kubernetes/audit", "mountPath": "/etc/kubernetes/audit",
                     "readOnly": True, "pathType": "DirectoryOrCreate"},
                    {"name": "audit-log", "hostPath": "/var/log/kubernetes/audit",
                     "mountPath": "/var/log/kubernetes/audit", "pathType": "DirectoryOrCreate"},
                ]}},
                "files": [],
            },
        }}})
        template("KubeadmConfigTemplate", KUBEADM_BOOTSTRAP, "nhs-worker", {"template": {"spec": {
            "joinConfiguration": {"nodeRegistration": {"kubeletExtraArgs": {"protect-kernel-defaults": "true"}}},
        }}})
        self.cluster_class = k8s.apiextensions.CustomResource(
            f"{name}-class",
            api_version=CAPI,
            kind="ClusterClass",
            metadata=metadata(CLUSTER_CLASS, CLUSTER_NAMESPACE),
            spec={
                "controlPlane": {
                    "ref": {"apiVersion": KUBEADM_CP, "kind": "KubeadmControlPlaneTemplate", "name": "nhs-control-plane"},
                    "machineInfrastructure": {"ref": {"apiVersion": CAPO, "kind": "OpenStackMachineTemplate",
                                                      "name": "nhs-openstack-control-plane"}},
                },
                "infrastructure": {"ref": {"apiVersion": CAPO, "kind": "OpenStackClusterTemplate",
                                           "name": "nhs-openstack-cluster"}},
                "workers": {"machineDeployments": [{
                    "class": "default-worker",
                    "template": {
                        "bootstrap": {"ref": {"apiVersion": KUBEADM_BOOTSTRAP, "kind": "KubeadmConfigTemplate",
                                              "name": "nhs-worker"}},
                        "infrastructure": {"ref": {"apiVersion": CAPO, "kind": "OpenStackMachineTemplate",
                                                   "name": "nhs-openstack-worker"}},
                    },
                }]},
                "variables": [
                    {"name": "apiServerAllowedCIDRs", "required": True, "schema": {"openAPIV3Schema": {
                        "type": "array", "items": {"type": "string"}, "minItems": 1}}},
                    {"name": "auditPolicy", "required": True, "schema": {"openAPIV3Schema": {"type": "string"}}},
                    {"name": "workerFlavor", "required": True, "schema": {"openAPIV3Schema": {"type": "string"}}},
                    {"name": "kubernetesImage", "required": True, "schema": {"openAPIV3Schema": {"type": "string"}}},
                ],
                "patches": [
                    {"name": "api-server-allowed-cidrs", "definitions": [{
                        "selector": {"apiVersion": CAPO, "kind": "OpenStackClusterTemplate",
                                     "matchResources": {"infrastructureCluster": True}},
                        "jsonPatches": [{"op": "replace", "path": "/spec/template/spec/apiServerLoadBalancer/allowedCIDRs",
                                         "valueFrom": {"variable": "apiServerAllowedCIDRs"}}],
                    }]},
                    {"name": "audit-policy-file", "definitions": [{
                        "selector": {"apiVersion": KUBEADM_CP, "kind": "KubeadmControlPlaneTemplate",
                                     "matchResources": {"controlPlane": True}},
                        "jsonPatches": [{"op": "add", "path": "/spec/template/spec/kubeadmConfigSpec/files/-",
                                         "valueFrom": {"template": "path: " + AUDIT_POLICY_PATH
                                                       + "\npermissions: \"0600\"\nowner: root:root\ncontent: {{ .auditPolicy | quote }}"}}],
                    }]},
                    {"name": "machine-images", "definitions": [{
                        "selector": {"apiVersion": CAPO, "kind": "OpenStackMachineTemplate",
                                     "matchResources": {"controlPlane": True, "machineDeploymentClass": {"names": ["default-worker"]}}},
                        "jsonPatches": [{"op": "replace", "path": "/spec/template/spec/image/filter/name",
                                         "valueFrom": {"variable": "kubernetesImage"}}],
                    }]},
                    {"name": "worker-flavor", "definitions": [{
                        "selector": {"apiVersion": CAPO, "kind": "OpenStackMachineTemplate",
                                     "matchResources": {"machineDeploymentClass": {"names": ["default-worker"]}}},
                        "jsonPatches": [{"op": "replace", "path": "/spec/template/spec/flavor",
                                         "valueFrom": {"variable": "workerFlavor"}}],
                    }]},
                ],
            },
            opts=in_ns,
        )
        self.register_outputs({"clusterClass": CLUSTER_CLASS})


@dataclasses.dataclass(frozen=True)
class WorkloadClusterArgs:
    cluster: Cluster
    region: str
    trust_namespaces: list[str]
    cluster_class: ClusterClassDefinition
    datacentre: DataCentre


class WorkloadCluster(pulumi.ComponentResource):
    """One region's workload cluster as a Cluster API topology, and its kubeconfig.

    The ``Cluster`` object is protected and retained on delete: deleting it would make
    Cluster API delete every machine, and with them the archives they hold.
    """

    kubeconfig: pulumi.Output[str]

    def __init__(self, name: str, args: WorkloadClusterArgs, opts: pulumi.ResourceOptions):
        super().__init__("imaging-cloud:cluster:WorkloadCluster", name, None, opts)
        c = args.cluster
        policy = yamlio.dump(audit_policy(args.trust_namespaces), sort_keys=False)
        self.cluster = k8s.apiextensions.CustomResource(
            f"{name}-cluster",
            api_version=CAPI,
            kind="Cluster",
            metadata=metadata(c.name, CLUSTER_NAMESPACE, {REGION_LABEL: args.region}, {
                **WAIT_FOR_CONTROL_PLANE,
                "imaging.nhs.uk/datacentre": args.datacentre.name,
                "imaging.nhs.uk/country": args.datacentre.country,
            }),
            spec={
                "clusterNetwork": {
                    "pods": {"cidrBlocks": [c.pod_cidr]},
                    "services": {"cidrBlocks": [c.service_cidr]},
                },
                "topology": {
                    "class": CLUSTER_CLASS,
                    "version": c.kubernetes_version,
                    "controlPlane": {"replicas": c.control_plane_replicas},
                    "workers": {"machineDeployments": [
                        {"class": "default-worker", "name": "md-0", "replicas": c.worker_replicas}
                    ]},
                    "variables": [
                        {"name": "apiServerAllowedCIDRs", "value": list(c.api_allowed_cidrs)},
                        {"name": "auditPolicy", "value": policy},
                        {"name": "workerFlavor", "value": c.worker_flavor},
                        {"name": "kubernetesImage", "value": f"ubuntu-2404-kube-{c.kubernetes_version}"},
                    ],
                },
            },
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[args.cluster_class.cluster_class], protect=True, retain_on_delete=True
            ),
        )
        # Cluster API writes the admin kubeconfig to "<cluster>-kubeconfig" once the
        # control plane is initialised; read it, never copy it into config.
        secret = k8s.core.v1.Secret.get(
            f"{name}-kubeconfig",
            f"{CLUSTER_NAMESPACE}/{c.name}-kubeconfig",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.cluster]),
        )
        self.kubeconfig = pulumi.Output.secret(
            secret.data.apply(lambda data: base64.b64decode((data or {}).get("value", "")).decode())
        )
        self.register_outputs({"kubeconfig": self.kubeconfig})


def describe_cluster(cluster: Cluster) -> dict[str, object]:
    """The non-secret facts about a cluster that other stacks may read."""
    return json.loads(cluster.model_dump_json(include={"name", "provisioner", "kubernetes_version", "node_cidr"}))
