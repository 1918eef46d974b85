"""The Kubernetes API audit policy of every cluster, as code.

Rules are evaluated in order, first match wins, so the order below is the design:
1. Secrets, ConfigMaps and token reviews are logged at ``Metadata`` only, everywhere:
   who touched which secret and when, never the payload (a Request-level rule would
   write credentials into the audit log).
2. Anything in a trust's archive namespace is logged at ``RequestResponse`` for
   changes and ``Metadata`` for reads: exec into an archive pod, a NetworkPolicy or
   RBAC change in a trust namespace are exactly what the hub alerts on.
3. Changes to RBAC, NetworkPolicies and namespaces anywhere at ``RequestResponse``.
4. Noise (health checks, the API server's own watches) is dropped; the rest at Metadata.
"""

from __future__ import annotations

from typing import Any

#: Resources whose bodies hold credentials: their payloads must never be logged.
SENSITIVE_RESOURCES = [
    {"group": "", "resources": ["secrets", "configmaps", "serviceaccounts/token"]},
    {"group": "authentication.k8s.io", "resources": ["tokenreviews"]},
    {"group": "cert-manager.io", "resources": ["certificaterequests"]},
]
WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection"]
READ_VERBS = ["get", "list", "watch"]


def audit_policy(trust_namespaces: list[str]) -> dict[str, Any]:
    """The audit.k8s.io/v1 Policy for a cluster hosting ``trust_namespaces``."""
    rules: list[dict[str, Any]] = [
        # kube-proxy's own watches are noise; scoped so a stolen kube-proxy credential
        # watching secrets or trust namespaces is still logged.
        {"level": "None", "users": ["system:kube-proxy"], "verbs": ["watch"],
         "resources": [{"group": "", "resources": ["endpoints", "services", "nodes"]},
                       {"group": "discovery.k8s.io", "resources": ["endpointslices"]}]},
        {"level": "None", "nonResourceURLs": ["/healthz*", "/livez*", "/readyz*", "/version", "/metrics"]},
        {"level": "Metadata", "resources": SENSITIVE_RESOURCES},
        {"level": "RequestResponse", "resources": [{"group": "", "resources": ["pods/exec", "pods/attach", "pods/portforward"]}]},
    ]
    if trust_namespaces:
        rules += [
            {"level": "RequestResponse", "namespaces": sorted(trust_namespaces), "verbs": WRITE_VERBS},
            {"level": "Metadata", "namespaces": sorted(trust_namespaces), "verbs": READ_VERBS},
        ]
    rules += [
        {
            "level": "RequestResponse",
            "verbs": WRITE_VERBS,
            "resources": [
                {"group": "rbac.authorization.k8s.io"},
                {"group": "networking.k8s.io", "resources": ["networkpolicies"]},
                {"group": "", "resources": ["namespaces"]},
                {"group": "objectbucket.io"},
                {"group": "ceph.rook.io"},
                {"group": "postgresql.cnpg.io"},
            ],
        },
        {"level": "Metadata"},
    ]
    return {
        "apiVersion": "audit.k8s.io/v1",
        "kind": "Policy",
        # RequestReceived is a duplicate of ResponseComplete for our purposes.
        "omitStages": ["RequestReceived"],
        "rules": rules,
    }
