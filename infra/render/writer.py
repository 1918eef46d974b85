"""Write a rendered stack: Kubernetes manifests and the ``plan.json`` inventory.

Output is deterministic (no timestamps, sorted keys where order carries no meaning) so
that a diff between two renders is a review of the change.
"""

from __future__ import annotations

import collections
import concurrent.futures
import re
import shutil
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import orjson

from infra import yamlio
from infra.render.runtime import REDACTED, Registration

PLAN_VERSION = 1
K8S_PROVIDER = "pulumi:providers:kubernetes"


def is_kubernetes_object(entry: dict[str, Any]) -> bool:
    """A registration that is a Kubernetes object (not a provider, component or release)."""
    inputs = entry["inputs"]
    return (
        entry["custom"]
        and entry["type"].startswith("kubernetes:")
        and "kind" in inputs
        and "apiVersion" in inputs
        and "read" not in entry
    )


_UNSAFE = re.compile(r"[^a-zA-Z0-9_.-]+")


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text)


def manifest_path(obj: dict[str, Any]) -> Path:
    meta = obj.get("metadata") or {}
    folder = meta.get("namespace") or "_cluster"
    return Path(_safe(folder)) / f"{_safe(obj['kind'].lower())}-{_safe(meta.get('name', 'unnamed'))}.yaml"


def plan_document(stack: str, registrations: list[Registration], outputs: dict[str, Any]) -> dict[str, Any]:
    # Registrations arrive in the order the SDK's async runtime completes them, which varies
    # run to run; URN order makes two renders of the same program byte-identical.
    resources = sorted((r.as_plan_entry() for r in registrations), key=lambda entry: entry["urn"])
    secret = set(outputs.get("secret", []))
    values = {k: (REDACTED if k in secret else v) for k, v in outputs.get("values", {}).items()}
    return {
        "planVersion": PLAN_VERSION,
        "project": "imaging-cloud",
        "stack": stack,
        "renderedWith": {
            "engine": "pulumi mock runtime (offline)",
            "pulumi": importlib_metadata.version("pulumi"),
            "pulumi-kubernetes": importlib_metadata.version("pulumi-kubernetes"),
        },
        "resources": resources,
        "outputs": values,
        "summary": summarise(resources, values),
    }


def summarise(resources: list[dict[str, Any]], outputs: dict[str, Any]) -> dict[str, Any]:
    kinds = collections.Counter(
        r["inputs"]["kind"] if is_kubernetes_object(r) else r["type"] for r in resources
    )
    clusters = sorted(
        r["name"].removeprefix("k8s-") for r in resources if r["type"] == K8S_PROVIDER
    )
    trusts = sorted(
        r["inputs"]["metadata"]["annotations"]["imaging.nhs.uk/ods-code"]
        for r in resources
        if is_kubernetes_object(r)
        and r["inputs"]["kind"] == "Namespace"
        and "imaging.nhs.uk/ods-code" in (r["inputs"]["metadata"].get("annotations") or {})
    )
    return {
        "resources": len(resources),
        "kubernetesObjects": sum(1 for r in resources if is_kubernetes_object(r)),
        "byKind": dict(sorted(kinds.items())),
        "clusters": clusters,
        "trusts": trusts,
        "protected": sum(1 for r in resources if r["options"]["protect"]),
    }


def write_stack(out_dir: Path, stack: str, registrations: list[Registration], outputs: dict[str, Any]) -> dict[str, Any]:
    """Write ``out_dir/manifests/**`` and ``out_dir/plan.json``; return the plan."""
    plan = plan_document(stack, registrations, outputs)
    manifests = out_dir / "manifests"
    if manifests.exists():
        shutil.rmtree(manifests)
    manifests.mkdir(parents=True)
    written: set[Path] = set()
    folders: set[Path] = set()
    # File creation releases the GIL and can cost more than the YAML (0.5 ms a file on
    # ext4 with discard): threads write while this thread renders the next manifest.
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as io_threads:
        pending = []
        for entry in plan["resources"]:
            if not is_kubernetes_object(entry):
                continue
            obj = entry["inputs"]
            path = manifest_path(obj)
            if path in written:
                raise ValueError(f"two objects render to {path}: {entry['urn']}")
            written.add(path)
            if path.parent not in folders:  # one mkdir per namespace, not per object
                (manifests / path.parent).mkdir(exist_ok=True)
                folders.add(path.parent)
            text = yamlio.dump(obj, sort_keys=False, width=120)
            pending.append(io_threads.submit((manifests / path).write_text, text, encoding="utf-8"))
        for write in pending:
            write.result()  # re-raises a failed write here
    # orjson: the standard library's encoder is pure Python once indenting (1 s a region).
    (out_dir / "plan.json").write_bytes(orjson.dumps(plan, option=orjson.OPT_INDENT_2) + b"\n")
    return plan
