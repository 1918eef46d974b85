"""The object store's gateway speaks TLS only.

Archives, backups and replicas reach the object store across the cluster network; without
TLS the S3 credentials and (for backups) unencrypted database pages would cross it in
clear. The plain-HTTP port must be off, not merely unused.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.core import Context, Resource, dig, resource_policy
from imaging_policies.k8s import CEPH_OBJECT_STORE


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    gateway = dig(resource.props, "spec", "gateway", default={}) or {}
    if not gateway.get("securePort"):
        yield "spec.gateway.securePort is not set: serve S3 over TLS (e.g. 443)"
    if not gateway.get("sslCertificateRef"):
        yield "spec.gateway.sslCertificateRef is not set: name the Secret holding the gateway certificate"
    if gateway.get("port"):
        yield f"spec.gateway.port is {gateway['port']}: remove the plain-HTTP listener"


POLICY = resource_policy(
    check,
    applies_to={CEPH_OBJECT_STORE},
    id="object-store-tls-only",
    severity="high",
    description="Every Ceph object store gateway serves TLS with a certificate and has no plain-HTTP port.",
    remediation=(
        "1. Set spec.gateway.securePort and spec.gateway.sslCertificateRef.\n"
        "2. Remove spec.gateway.port."
    ),
    controls=(ncsc(1), ndg(1)),
)
