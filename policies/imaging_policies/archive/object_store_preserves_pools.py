"""Deleting an object store or zone resource never deletes its data pools.

Rook deletes the Ceph pools of a CephObjectStore (or, in a multisite setup, of its
CephObjectZone) when the resource is deleted unless told to preserve them. ``protect`` and ``retainOnDelete`` guard against Pulumi; this guards
against anyone deleting the custom resource with kubectl.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.core import Context, Resource, dig, resource_policy
from imaging_policies.k8s import CEPH_OBJECT_STORE

CEPH_OBJECT_ZONE = "CephObjectZone.ceph.rook.io"


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    if dig(resource.props, "spec", "preservePoolsOnDelete") is not True:
        yield f"spec.preservePoolsOnDelete is not true: deleting the {resource.kind} would delete every image"


POLICY = resource_policy(
    check,
    applies_to={CEPH_OBJECT_STORE, CEPH_OBJECT_ZONE},
    id="object-store-preserves-pools",
    severity="high",
    description="Every Ceph object store and object zone keeps its pools when the resource is deleted.",
    remediation="1. Set spec.preservePoolsOnDelete: true on the CephObjectStore and CephObjectZone.",
    controls=(ncsc(2), ndg(7)),
)
