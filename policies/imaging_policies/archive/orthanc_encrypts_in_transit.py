"""Every connection to and from an archive is encrypted and authenticated.

Images cross trust and hospital networks. HTTPS for the REST API and DICOMweb, DICOM TLS
with client certificates for DIMSE, verified certificates for outbound HTTPS, TLS to the
index database, and https peers keep patient data and credentials off the wire.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.core import Context, Resource, resource_policy
from imaging_policies.k8s import orthanc_configs_or_skip

REQUIRED_TRUE = ("SslEnabled", "DicomTlsEnabled", "DicomTlsRemoteCertificateRequired")


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    for path, config in orthanc_configs_or_skip(resource):
        if isinstance(config, str):
            yield f"{path} {config}"
            continue
        for key in REQUIRED_TRUE:
            if config.get(key) is not True:
                yield f"{path}.{key} is {config.get(key)!r}: set it to true"
        if config.get("HttpsVerifyPeers", True) is not True:
            yield f"{path}.HttpsVerifyPeers is false: outbound HTTPS must verify certificates"
        postgresql = config.get("PostgreSQL")
        if isinstance(postgresql, dict) and postgresql.get("EnableSsl") is not True:
            yield f"{path}.PostgreSQL.EnableSsl is {postgresql.get('EnableSsl')!r}: set it to true"
        for name, peer in (config.get("OrthancPeers") or {}).items():
            url = peer.get("Url") if isinstance(peer, dict) else (peer[0] if isinstance(peer, list) and peer else None)
            if isinstance(url, str) and not url.startswith("https://"):
                yield f"{path}.OrthancPeers[{name!r}] URL {url!r} is not https"
        for name, modality in (config.get("DicomModalities") or {}).items():
            if isinstance(modality, dict) and modality.get("UseDicomTls") is False:
                yield f"{path}.DicomModalities[{name!r}].UseDicomTls is false: send to modalities over DICOM TLS"


POLICY = resource_policy(
    check,
    applies_to={"ConfigMap"},
    id="orthanc-encrypts-in-transit",
    severity="high",
    description="Every Orthanc archive uses HTTPS, mutual DICOM TLS, verified outbound TLS and TLS to its index.",
    remediation=(
        "1. Set SslEnabled, DicomTlsEnabled and DicomTlsRemoteCertificateRequired to true.\n"
        "2. Keep HttpsVerifyPeers true, PostgreSQL.EnableSsl true, peers on https and UseDicomTls on modalities."
    ),
    controls=(ncsc(1), ndg(1)),
)
