"""The archive never deletes studies to make room.

With ``MaximumStorageSize`` or ``MaximumPatientCount`` set and ``MaximumStorageMode:
Recycle`` (Orthanc's default mode), Orthanc silently deletes the oldest patients when the
limit is reached. Records retention forbids deleting images before their time, so an
archive keeps both limits at 0 (unlimited), or refuses new studies (``Reject``).
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.core import Context, Resource, resource_policy
from imaging_policies.k8s import orthanc_configs_or_skip


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    for path, config in orthanc_configs_or_skip(resource):
        if isinstance(config, str):
            yield f"{path} {config}"
            continue
        limited = [k for k in ("MaximumStorageSize", "MaximumPatientCount") if config.get(k, 0) not in (0, "0")]
        mode = config.get("MaximumStorageMode", "Recycle")
        if limited and mode != "Reject":
            yield (f"{path}.{limited[0]} is {config[limited[0]]} with MaximumStorageMode {mode!r}: Orthanc would "
                   "delete the oldest studies; set it to 0, or MaximumStorageMode to 'Reject'")


POLICY = resource_policy(
    check,
    applies_to={"ConfigMap"},
    id="orthanc-storage-recycling-off",
    severity="critical",
    description="No Orthanc archive is configured to delete old studies when a storage or patient limit is reached.",
    remediation=(
        "1. Set MaximumStorageSize and MaximumPatientCount to 0 (charts/vna-archive fixes them).\n"
        "2. If a limit is ever needed, set MaximumStorageMode to Reject."
    ),
    controls=(ncsc(2), ndg(7)),
)
