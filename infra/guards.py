"""Data-loss guard: no change may replace or delete a resource that holds patient data.

``protect`` makes the engine refuse to delete such a resource, but a change can still
*try* (a renamed Pulumi resource, a moved namespace, a changed immutable field), and
finding out at ``pulumi up`` is late. This module compares the data-holding resources
of a new render with a committed baseline (``stacks/baselines/<stack>.json``) and
reports every one that would be replaced or deleted, in words an engineer can act on.
The baseline changes only deliberately (``make baselines``), in review.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infra.settings import STACKS_DIR

BASELINE_DIR = STACKS_DIR / "baselines"

#: Fields whose change makes Kubernetes (and so Pulumi) replace the object, per kind.
REPLACE_ON = {
    "*": ["apiVersion", "kind", "metadata.name", "metadata.namespace"],
    "ObjectBucketClaim": ["spec.bucketName", "spec.storageClassName"],
    "Cluster": ["spec.bootstrap", "spec.storage.storageClass"],
    "CephObjectZone": ["spec.zoneGroup"],
    "CephObjectStore": ["spec.zone.name"],
    "PersistentVolumeClaim": ["spec.storageClassName", "spec.accessModes"],
}


def _get(obj: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def data_holding(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """URN -> identity of every resource marked protect + retainOnDelete."""
    inventory = {}
    for resource in plan["resources"]:
        options = resource["options"]
        if not (options["protect"] and options["retainOnDelete"]):
            continue
        inputs = resource["inputs"]
        kind = inputs.get("kind", resource["type"])
        fields = REPLACE_ON["*"] + REPLACE_ON.get(kind, [])
        inventory[resource["urn"]] = {
            "type": resource["type"],
            "identity": {field: _get(inputs, field) for field in fields},
        }
    return dict(sorted(inventory.items()))


def describe(urn: str, entry: dict[str, Any]) -> str:
    ident = entry["identity"]
    where = "/".join(x for x in (ident.get("metadata.namespace"), ident.get("metadata.name")) if x)
    return f"{ident.get('kind') or entry['type']} {where or urn.rsplit('::', 1)[-1]}"


def compare(baseline: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Every data-holding resource of ``baseline`` that ``current`` would replace or delete."""
    problems = []
    for urn, old in baseline.items():
        new = current.get(urn)
        if new is None:
            problems.append(
                f"{describe(urn, old)} would be DELETED: its resource {urn} is no longer in the program. "
                "If it was renamed or moved, add an alias (ResourceOptions(aliases=[...])) to keep it."
            )
            continue
        changed = [f for f, value in old["identity"].items() if new["identity"].get(f) != value]
        if changed:
            detail = ", ".join(f"{f}: {old['identity'][f]!r} -> {new['identity'].get(f)!r}" for f in changed)
            problems.append(
                f"{describe(urn, old)} would be REPLACED ({detail}); replacing it would lose patient data. "
                "Revert the change, or migrate the data first and update the baseline in review."
            )
    return problems


def baseline_path(stack: str) -> Path:
    return BASELINE_DIR / f"{stack}.json"


def write_baseline(stack: str, plan: dict[str, Any]) -> Path:
    BASELINE_DIR.mkdir(parents=True, exist_ok=True)
    path = baseline_path(stack)
    path.write_text(json.dumps(data_holding(plan), indent=1) + "\n", encoding="utf-8")
    return path


def check_against_baseline(stack: str, plan: dict[str, Any]) -> list[str]:
    path = baseline_path(stack)
    if not path.exists():
        return []
    return compare(json.loads(path.read_text()), data_holding(plan))
