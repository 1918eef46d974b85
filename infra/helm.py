"""Local Helm charts, rendered by Helm's own engine and registered object by object.

Our charts (``charts/``) are rendered client-side with Helm's Go SDK (helm-python-sdk)
and each object becomes a first-class Pulumi resource. Compared with a Helm release:
every object is visible to the policy pack and in ``plan.json``, data-holding objects
can carry ``protect``/``retain_on_delete`` individually, and the same code path works
under the real engine and the offline renderer (see docs/adr/0003-renderer.md).
Third-party charts are declared as ``helm.v3.Release`` (see infra/components/monitoring.py).
"""

from __future__ import annotations

import concurrent.futures
import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import yamlio
from infra.settings import REPO_ROOT

CHARTS_DIR = REPO_ROOT / "charts"

#: apiVersion group -> pulumi_kubernetes module holding its typed classes.
_GROUP_MODULES = {
    "": "core",
    "apps": "apps",
    "batch": "batch",
    "policy": "policy",
    "networking.k8s.io": "networking",
    "rbac.authorization.k8s.io": "rbac",
    "autoscaling": "autoscaling",
    "storage.k8s.io": "storage",
    "scheduling.k8s.io": "scheduling",
    "admissionregistration.k8s.io": "admissionregistration",
}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


class ChartRenderError(Exception):
    pass


@functools.lru_cache(maxsize=8)
def _load_chart(path: str):
    import helm_python

    return helm_python.Chart.load(path)


def _render_templates(chart: str, values: dict[str, Any], release: str, namespace: str) -> dict[str, str]:
    import helm_python

    try:
        return _load_chart(str(CHARTS_DIR / chart)).render(values, name=release, namespace=namespace, is_install=True)
    except helm_python.HelmError as failure:
        raise ChartRenderError(f"charts/{chart}: {failure}") from None


def _request_key(chart: str, values: dict[str, Any], release: str, namespace: str) -> str:
    return json.dumps([chart, release, namespace, values], sort_keys=True)


_started: dict[str, concurrent.futures.Future] = {}


@functools.cache
def _helm_thread() -> concurrent.futures.ThreadPoolExecutor:
    return concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="helm")


def start_rendering(chart: str, values: dict[str, Any], release: str, namespace: str) -> None:
    """Begin rendering in a background thread; ``render_chart`` with the same arguments
    collects the result. Helm's Go code runs without Python's lock, so the charts of a
    region's archives render on the second core while this thread registers resources."""
    key = _request_key(chart, values, release, namespace)
    if key not in _started:
        _started[key] = _helm_thread().submit(_render_templates, chart, values, release, namespace)


def render_chart(chart: str, values: dict[str, Any], release: str, namespace: str) -> list[dict[str, Any]]:
    """Render ``charts/<chart>`` with ``values``; return its objects in template order.

    The chart's ``values.schema.json`` is enforced by Helm during rendering, so values
    the schema refuses (e.g. storage recycling on) stop the program here.
    """
    started = _started.pop(_request_key(chart, values, release, namespace), None)
    rendered = started.result() if started else _render_templates(chart, values, release, namespace)
    objects = []
    for template in sorted(rendered):
        if not template.endswith((".yaml", ".yml")):
            continue
        for document in yamlio.load_all(rendered[template]):
            if document:
                objects.append(document)
    return objects


def _typed_class(api_version: str, kind: str) -> type[pulumi.CustomResource] | None:
    group, _, version = api_version.rpartition("/")
    module_name = _GROUP_MODULES.get(group)
    if module_name is None:
        return None
    module = getattr(getattr(k8s, module_name), version, None)
    return getattr(module, kind, None) if module else None


def register_objects(
    prefix: str,
    objects: list[dict[str, Any]],
    opts: pulumi.ResourceOptions,
    options_for: Callable[[dict[str, Any]], pulumi.ResourceOptions | None] = lambda obj: None,
) -> list[pulumi.CustomResource]:
    """Register each object with its typed pulumi_kubernetes class (CustomResource for
    kinds the SDK does not know). ``options_for`` adds per-object options."""
    resources = []
    for obj in objects:
        api_version, kind = obj["apiVersion"], obj["kind"]
        meta = obj.get("metadata", {})
        name = f"{prefix}-{kind.lower()}-{meta['name']}"
        extra = options_for(obj)
        merged = pulumi.ResourceOptions.merge(opts, extra) if extra else opts
        cls = _typed_class(api_version, kind)
        if cls is None:
            body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
            resources.append(
                k8s.apiextensions.CustomResource(name, api_version=api_version, kind=kind, metadata=meta, opts=merged, **body)
            )
            continue
        kwargs = {_CAMEL.sub("_", key).lower(): value for key, value in obj.items() if key not in ("apiVersion", "kind")}
        resources.append(cls(name, opts=merged, **kwargs))
    return resources
