"""Only registered DICOM nodes, from their registered addresses, may use an archive.

Orthanc by default answers C-ECHO and accepts C-STORE from any node, and trusts whatever
AE title a caller claims. An archive must refuse unknown callers, check the caller's
address and the called AE title, and grant each registered modality only the commands
written out for it (the legacy list form grants all of them).
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.core import Context, Resource, resource_policy
from imaging_policies.k8s import orthanc_configs_or_skip

ALWAYS_ALLOW = ("DicomAlwaysAllowEcho", "DicomAlwaysAllowStore", "DicomAlwaysAllowFind",
                "DicomAlwaysAllowFindWorklist", "DicomAlwaysAllowGet", "DicomAlwaysAllowMove")
REQUIRED_TRUE = ("DicomCheckModalityHost", "DicomCheckCalledAet")
PERMISSIONS = ("AllowEcho", "AllowFind", "AllowGet", "AllowMove", "AllowStore")


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    for path, config in orthanc_configs_or_skip(resource):
        if isinstance(config, str):
            yield f"{path} {config}"
            continue
        if config.get("DicomServerEnabled") is False:
            continue
        for key in ALWAYS_ALLOW:
            if config.get(key) is not False:
                yield f"{path}.{key} is {config.get(key)!r}: set it to false (unknown nodes get nothing)"
        for key in REQUIRED_TRUE:
            if config.get(key) is not True:
                yield f"{path}.{key} is {config.get(key)!r}: set it to true"
        for name, modality in (config.get("DicomModalities") or {}).items():
            if not isinstance(modality, dict):
                yield (f"{path}.DicomModalities[{name!r}] uses the list form, which grants every command: "
                       f"use an object with {', '.join(PERMISSIONS)}")
                continue
            missing = [p for p in PERMISSIONS if p not in modality]
            if missing:
                yield (f"{path}.DicomModalities[{name!r}] leaves {', '.join(missing)} to Orthanc's default (allowed): "
                       "write each permission out")


POLICY = resource_policy(
    check,
    applies_to={"ConfigMap"},
    id="orthanc-dicom-access-control",
    severity="high",
    description="Every Orthanc archive refuses unknown DICOM nodes and grants registered modalities explicit permissions.",
    remediation=(
        "1. Set every DicomAlwaysAllow* to false and DicomCheckModalityHost, DicomCheckCalledAet to true.\n"
        "2. Register modalities in object form with each Allow* written out (charts/vna-archive does)."
    ),
    controls=(ncsc(10), ncsc(11), ndg(4)),
)
