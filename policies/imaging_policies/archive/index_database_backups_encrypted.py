"""Each trust's index database is backed up, over TLS, encrypted at rest.

Without backups a lost index leaves millions of images unfindable; backups that are not
encrypted put the index's patient identifiers in the object store in clear. Backups are
configured either inline (``spec.backup.barmanObjectStore``) or through the Barman Cloud
plugin's ObjectStore resource; both must encrypt data and WAL and use an https endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from imaging_policies.controls import ncsc, ndg
from imaging_policies.core import Context, NotApplicable, Resource, dig, is_unknown, resource_policy
from imaging_policies.k8s import CNPG_CLUSTER

BARMAN_OBJECT_STORE = "ObjectStore.barmancloud.cnpg.io"
BARMAN_PLUGIN = "barman-cloud.cloudnative-pg.io"
ENCRYPTIONS = frozenset({"AES256", "aws:kms"})


def _store(path: str, store: Mapping[str, Any]) -> Iterator[str]:
    endpoint = store.get("endpointURL")
    if isinstance(endpoint, str) and not is_unknown(endpoint) and not endpoint.startswith("https://"):
        yield f"{path}.endpointURL {endpoint!r} is not https"
    for section in ("data", "wal"):
        encryption = dig(store, section, "encryption")
        if encryption not in ENCRYPTIONS:
            yield f"{path}.{section}.encryption is {encryption!r}: set AES256 (or aws:kms)"


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    if resource.gk == BARMAN_OBJECT_STORE:
        yield from _store("spec.configuration", dig(resource.props, "spec", "configuration", default={}) or {})
        return
    if dig(resource.props, "spec", "replica", "enabled") is True:
        raise NotApplicable("a replica cluster restores from its origin's backups")
    store = dig(resource.props, "spec", "backup", "barmanObjectStore")
    plugins = dig(resource.props, "spec", "plugins", default=[]) or []
    if isinstance(store, Mapping):
        yield from _store("spec.backup.barmanObjectStore", store)
    elif not any(isinstance(p, Mapping) and p.get("name") == BARMAN_PLUGIN for p in plugins):
        yield ("spec.backup.barmanObjectStore is not set and no Barman Cloud plugin is configured (spec.plugins): "
               "the index has no backups")


POLICY = resource_policy(
    check,
    applies_to={CNPG_CLUSTER, BARMAN_OBJECT_STORE},
    id="index-database-backups-encrypted",
    severity="high",
    description="Every archive index database is backed up to an https object store with data and WAL encrypted.",
    remediation=(
        "1. Configure spec.backup.barmanObjectStore (or the Barman Cloud plugin's ObjectStore) with an "
        "https endpointURL.\n"
        "2. Set data.encryption and wal.encryption to AES256."
    ),
    controls=(ncsc(2), ncsc(1), ndg(7), ndg(1)),
)
