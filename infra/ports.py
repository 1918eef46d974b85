"""Well-known ports of the platform, named once so policies and flows agree."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Port:
    number: int
    protocol: str = "TCP"
    name: str = ""

    def as_spec(self) -> dict:
        return {"port": self.number, "protocol": self.protocol}


DNS_UDP = Port(53, "UDP", "dns")
DNS_TCP = Port(53, "TCP", "dns-tcp")
#: Orthanc's REST/DICOMweb port, served over HTTPS (TLS is on in the archive chart).
ARCHIVE_HTTPS = Port(8042, name="https")
#: Orthanc's DICOM port; DICOM TLS is on in the archive chart.
ARCHIVE_DICOM_TLS = Port(4242, name="dicom-tls")
POSTGRES = Port(5432, name="postgres")
#: CloudNativePG instance manager status port, polled by the operator.
CNPG_STATUS = Port(8000, name="cnpg-status")
#: Rook-Ceph object gateway (S3 API over TLS).
OBJECT_STORE_HTTPS = Port(443, name="s3-https")
#: OpenTelemetry collector (OTLP/gRPC, mTLS) in the monitoring zone.
OTLP = Port(4317, name="otlp")
#: Exchange gateway between regions (HTTPS with mutual TLS).
EXCHANGE_GATEWAY = Port(8443, name="exchange-mtls")
#: Ingress gateway container ports (the Service maps 443 -> 8443; non-root cannot bind 443).
INGRESS_HTTPS = Port(8443, name="https")
INGRESS_DICOM_TLS = Port(11112, name="dicom-tls")
#: Kubernetes API server.
KUBE_API = Port(6443, name="kube-api")

EXCHANGE_SERVICE_PORTS: dict[str, Port] = {
    "dicomweb": ARCHIVE_HTTPS,
    "dimse": ARCHIVE_DICOM_TLS,
}
