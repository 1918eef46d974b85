"""Every archive encrypts images before they reach storage.

With Orthanc's storage encryption the object store only ever sees ciphertext, under a
master key that lives in a Secret of the trust's namespace: another trust's credentials,
a storage administrator or a lost disk cannot read a study.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.core import Context, Resource, dig, resource_policy
from imaging_policies.k8s import orthanc_configs_or_skip


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    for path, config in orthanc_configs_or_skip(resource):
        if isinstance(config, str):
            yield f"{path} {config}"
            continue
        storage = config.get("AwsS3Storage")
        if not isinstance(storage, dict):
            yield f"{path}.AwsS3Storage is not set: images would be stored unencrypted on the pod's volume"
            continue
        if dig(storage, "StorageEncryption", "Enable") is not True:
            yield f"{path}.AwsS3Storage.StorageEncryption.Enable is not true: encrypt images before upload"
        elif not dig(storage, "StorageEncryption", "MasterKey"):
            yield f"{path}.AwsS3Storage.StorageEncryption.MasterKey is not set"


POLICY = resource_policy(
    check,
    applies_to={"ConfigMap"},
    id="orthanc-encrypts-images-at-rest",
    severity="high",
    description="Every Orthanc archive stores images in object storage encrypted by Orthanc with a master key.",
    remediation="1. Set AwsS3Storage.StorageEncryption.Enable: true with a MasterKey from a mounted Secret.",
    controls=(ncsc(2), ncsc(3), ndg(1)),
)
