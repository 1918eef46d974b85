"""A trust namespace with no default-deny NetworkPolicy and a LoadBalancer Service in it."""

import pulumi
import pulumi_kubernetes as k8s

provider = k8s.Provider("local", kubeconfig=pulumi.Config().require_secret("kubeconfig"))
opts = pulumi.ResourceOptions(provider=provider)
k8s.core.v1.Namespace(
    "trust-rx9",
    metadata={"name": "trust-rx9", "labels": {"imaging.nhs.uk/trust": "rx9",
                                               "pod-security.kubernetes.io/enforce": "restricted"},
              "annotations": {"imaging.nhs.uk/ods-code": "RX9"}},
    opts=opts,
)
k8s.core.v1.Service(
    "exposed",
    metadata={"name": "exposed", "namespace": "trust-rx9"},
    spec={"type": "LoadBalancer", "ports": [{"port": 443}], "selector": {"app": "x"}},
    opts=opts,
)
