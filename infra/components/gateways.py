"""The zone gateways: the only way into a trust's archive from outside its namespace.

Both gateways are Envoy proxies that pass TLS through untouched (the archive terminates
it, so a gateway never sees patient data in clear) and choose the destination by the
TLS server name, *and* by where the connection comes from:

- ingress gateway (ingress zone): ``<ods>.archive.imaging.nhs.uk`` is routed to that
  trust's archive only when the client address is in that trust's registered hospital
  networks, so one trust's hospitals cannot even reach another trust's archive;
- exchange gateway (exchange zone): for each live cross-region agreement, the
  consumer's connections go out to the provider region's gateway, and that gateway
  admits them only from the consumer region's cluster network, to the provider only.

Anything else matches no filter chain and is closed by Envoy.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import yamlio
from infra.components.archive import MIRROR_TAG_REASON
from infra.k8s import ZONE_LABEL, metadata
from infra.model import Cluster, Trust
from infra.ports import ARCHIVE_DICOM_TLS, ARCHIVE_HTTPS, EXCHANGE_GATEWAY, INGRESS_DICOM_TLS, INGRESS_HTTPS

ENVOY_IMAGE = "registry.imaging.nhs.uk/mirror/envoyproxy/envoy:v1.34.4"
#: Service port -> container port: clients use 443; the non-root proxy listens on 8443.
SERVICE_PORTS = {INGRESS_HTTPS.number: 443}
ARCHIVE_DOMAIN = "archive.imaging.nhs.uk"


def archive_hostname(trust: Trust) -> str:
    return f"{trust.ods_code.lower()}.{ARCHIVE_DOMAIN}"


@dataclasses.dataclass(frozen=True)
class Route:
    """Connections for ``server_name`` from ``sources`` go to ``target_host:target_port``."""

    name: str
    server_name: str
    sources: tuple[str, ...]
    target_host: str
    target_port: int


def _listener(name: str, port: int, routes: list[Route]) -> dict[str, Any]:
    return {
        "name": name,
        "address": {"socket_address": {"address": "0.0.0.0", "port_value": port}},
        "listener_filters": [{
            "name": "envoy.filters.listener.tls_inspector",
            "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"},
        }],
        "filter_chains": [{
            "filter_chain_match": {
                "server_names": [route.server_name],
                "source_prefix_ranges": [
                    {"address_prefix": cidr.split("/")[0], "prefix_len": int(cidr.split("/")[1])} for cidr in route.sources
                ],
            },
            "filters": [{
                "name": "envoy.filters.network.tcp_proxy",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
                    "stat_prefix": route.name,
                    "cluster": route.name,
                },
            }],
        } for route in routes],
    }


def envoy_config(listeners: dict[str, tuple[int, list[Route]]]) -> dict[str, Any]:
    """A static Envoy bootstrap with one listener per entry; no admin interface exposed."""
    routes = [route for _, rs in listeners.values() for route in rs]
    return {
        "static_resources": {
            "listeners": [_listener(name, port, rs) for name, (port, rs) in listeners.items() if rs],
            "clusters": [{
                "name": route.name,
                "type": "STRICT_DNS",
                "connect_timeout": "5s",
                "load_assignment": {"cluster_name": route.name, "endpoints": [{"lb_endpoints": [{"endpoint": {
                    "address": {"socket_address": {"address": route.target_host, "port_value": route.target_port}},
                }}]}]},
            } for route in routes],
        },
    }


def ingress_routes(trusts: list[Trust]) -> dict[str, tuple[int, list[Route]]]:
    https, dicom = [], []
    for trust in trusts:
        service = f"vna-archive.{trust.namespace}.svc.cluster.local"
        ods = trust.ods_code.lower()
        https.append(Route(f"{ods}-https", archive_hostname(trust), tuple(trust.hospital_networks), service, ARCHIVE_HTTPS.number))
        dicom.append(Route(f"{ods}-dicom", archive_hostname(trust), tuple(trust.hospital_networks), service, ARCHIVE_DICOM_TLS.number))
    return {"https": (INGRESS_HTTPS.number, https), "dicom-tls": (INGRESS_DICOM_TLS.number, dicom)}


@dataclasses.dataclass(frozen=True)
class CrossRegionAgreement:
    id: str
    provider: Trust
    consumer: Trust
    provider_cluster: Cluster
    consumer_cluster: Cluster
    provider_region: str


def exchange_routes(local: Cluster, agreements: list[CrossRegionAgreement]) -> dict[str, tuple[int, list[Route]]]:
    routes = []
    for a in agreements:
        ods = a.provider.ods_code.lower()
        if a.consumer_cluster.name == local.name:
            # Out: local consumer pods -> the provider region's exchange gateway.
            routes.append(Route(f"{a.id}-out", archive_hostname(a.provider), (local.pod_cidr,),
                                f"exchange.{a.provider_region}.imaging.nhs.uk", EXCHANGE_GATEWAY.number))
        if a.provider_cluster.name == local.name:
            # In: only from the consumer region's cluster network, only to the provider.
            routes.append(Route(f"{a.id}-in", archive_hostname(a.provider), (a.consumer_cluster.node_cidr,),
                                f"vna-archive.{a.provider.namespace}.svc.cluster.local", ARCHIVE_HTTPS.number))
    return {"exchange": (EXCHANGE_GATEWAY.number, routes)}


@dataclasses.dataclass(frozen=True)
class ZoneGatewayArgs:
    zone: str
    namespace: str
    listeners: dict[str, tuple[int, list[Route]]]
    replicas: int
    skip_await: bool = False


class ZoneGateway(pulumi.ComponentResource):
    """An Envoy gateway Deployment with its config, Service and disruption budget."""

    def __init__(self, name: str, args: ZoneGatewayArgs, opts: pulumi.ResourceOptions):
        super().__init__("imaging-cloud:segmentation:ZoneGateway", name, None, opts)
        gateway = f"{args.zone}-gateway"
        labels = {"app.kubernetes.io/name": gateway, ZONE_LABEL: args.zone}
        child = pulumi.ResourceOptions(parent=self)
        config = envoy_config(args.listeners)
        k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=metadata(gateway, args.namespace, labels),
            data={"envoy.yaml": yamlio.dump(config, sort_keys=False)},
            opts=child,
        )
        ports = sorted({port for port, routes in args.listeners.values() if routes})
        if not ports:
            raise ValueError(f"{name}: a gateway without routes would be an open door to nothing; skip it")
        annotations = {"pulumi.com/skipAwait": "true"} if args.skip_await else None
        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=metadata(gateway, args.namespace, labels, {**(annotations or {}), "checkov.io/skip1": MIRROR_TAG_REASON}),
            spec={
                "replicas": args.replicas,
                "selector": {"matchLabels": {"app.kubernetes.io/name": gateway}},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "automountServiceAccountToken": False,
                        "securityContext": {"runAsNonRoot": True, "runAsUser": 10101, "runAsGroup": 10101,
                                            "seccompProfile": {"type": "RuntimeDefault"}},
                        "topologySpreadConstraints": [{
                            "maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": {"app.kubernetes.io/name": gateway}},
                        }],
                        "containers": [{
                            "name": "envoy",
                            "image": ENVOY_IMAGE,
                            "imagePullPolicy": "Always",
                            "args": ["--config-path", "/etc/envoy/envoy.yaml", "--log-level", "warn"],
                            "ports": [{"containerPort": p, "name": f"p{p}"} for p in ports],
                            "resources": {"requests": {"cpu": "250m", "memory": "256Mi"},
                                          "limits": {"cpu": "2", "memory": "1Gi"}},
                            "readinessProbe": {"tcpSocket": {"port": ports[0]}, "periodSeconds": 10},
                            "livenessProbe": {"tcpSocket": {"port": ports[0]}, "periodSeconds": 20},
                            "securityContext": {
                                "runAsNonRoot": True, "readOnlyRootFilesystem": True,
                                "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                "seccompProfile": {"type": "RuntimeDefault"},
                            },
                            "volumeMounts": [{"name": "config", "mountPath": "/etc/envoy", "readOnly": True},
                                             {"name": "tmp", "mountPath": "/tmp"}],
                        }],
                        "volumes": [{"name": "config", "configMap": {"name": gateway}},
                                    {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
                    },
                },
            },
            opts=child,
        )
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=metadata(gateway, args.namespace, labels, annotations),
            spec={"type": "ClusterIP", "selector": {"app.kubernetes.io/name": gateway},
                  "ports": [{"name": f"p{p}", "port": SERVICE_PORTS.get(p, p), "targetPort": p} for p in ports]},
            opts=child,
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata=metadata(gateway, args.namespace, labels),
            spec={"maxUnavailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": gateway}}},
            opts=child,
        )
        self.register_outputs({"gateway": gateway})
