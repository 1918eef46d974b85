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
import dataclasses
import functools
import io
import json
import re
import tarfile
import tempfile
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


@dataclasses.dataclass(frozen=True)
class ChartRequest:
    """One release of a chart: its values, release name and namespace."""

    values: dict[str, Any]
    release: str
    namespace: str

    @property
    def key(self) -> str:
        return json.dumps([self.release, self.namespace, self.values], sort_keys=True)


@dataclasses.dataclass(frozen=True)
class _Checked:
    """A request whose values passed the chart's schema (made only by LoadedChart.check)."""

    request: ChartRequest


class LoadedChart:
    """A chart under ``charts/`` as this process renders it, loaded once.

    Helm checks the values against ``values.schema.json`` inside every render and
    compiles the schema again each time: ~4.6 of a render's ~7.5 ms for vna-archive, for
    each of a region's ~40 releases (docs/performance.md). Here Helm's own validator
    checks all the releases of a batch in one call, against a schema whose items are the
    chart's schema, so it compiles once; the templates then render from the same chart
    packaged without its schema. Only values that passed :meth:`check` reach
    :meth:`render`.
    """

    def __init__(self, chart: str):
        import helm_python

        self.name = chart
        try:
            self.chart = helm_python.Chart.load(CHARTS_DIR / chart)
        except helm_python.HelmError as failure:
            raise ChartRenderError(f"charts/{chart}: {failure}") from None
        files = _packaged_files(self.chart)
        self._templates = _load_from_memory(self.chart.name, {p: d for p, d in files.items() if p != "values.schema.json"})
        schema = self.chart.schema
        self._releases_validator = None if schema is None else _load_from_memory(self.chart.name, {
            "Chart.yaml": files["Chart.yaml"],
            "values.schema.json": json.dumps({
                "$schema": schema.get("$schema", "http://json-schema.org/draft-07/schema#"),
                "type": "object",
                "required": ["releases"],
                "properties": {"releases": {"type": "array", "items": {k: v for k, v in schema.items() if k != "$schema"}}},
            }).encode(),
        })

    def check(self, requests: list[ChartRequest]) -> list[_Checked | ChartRenderError]:
        """Each request checked against the chart's schema: passed, or Helm's reasons.

        Helm validates the values coalesced with the chart's defaults, as an install does.
        """
        import helm_python

        if self._releases_validator is None:
            return [_Checked(request) for request in requests]
        merged = [self.chart.merge_values(request.values) for request in requests]
        try:
            self._releases_validator.validate_schema({"releases": merged})
            return [_Checked(request) for request in requests]
        except helm_python.HelmValuesError:
            pass  # name each release's own problems, in the chart's words
        results: list[_Checked | ChartRenderError] = []
        for request in requests:
            try:
                self.chart.validate_schema(request.values)  # coalesces with the defaults itself
                results.append(_Checked(request))
            except helm_python.HelmValuesError as problem:
                results.append(self._error(request, str(problem)))
        return results

    def render(self, checked: _Checked) -> dict[str, str]:
        """The rendered templates (path -> text) of a checked request."""
        import helm_python

        if not isinstance(checked, _Checked):  # the templates carry no schema of their own
            raise TypeError(f"render() takes what check() passed, not {type(checked).__name__}")
        request = checked.request
        try:
            return self._templates.render(request.values, name=request.release, namespace=request.namespace,
                                          is_install=True)
        except helm_python.HelmError as failure:
            raise self._error(request, str(failure)) from None

    def _error(self, request: ChartRequest, problem: str) -> ChartRenderError:
        return ChartRenderError(
            f"charts/{self.name}, release {request.release} in namespace {request.namespace}: {problem.strip()}"
        )


def _packaged_files(chart) -> dict[str, bytes]:
    """The chart's files as Helm packages them (``.helmignore`` applied), by path."""
    with tempfile.TemporaryDirectory() as folder, tarfile.open(chart.save(folder)) as packaged:
        return {member.name.partition("/")[2]: packaged.extractfile(member).read()  # type: ignore[union-attr]
                for member in packaged.getmembers() if member.isfile()}


def _load_from_memory(name: str, files: dict[str, bytes]):
    """The chart made of ``files``, loaded by Helm from an archive in memory."""
    import helm_python

    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz", compresslevel=1) as packing:  # read once, right away
        for path, data in files.items():
            member = tarfile.TarInfo(f"{name}/{path}")
            member.size = len(data)
            packing.addfile(member, io.BytesIO(data))
    return helm_python.Chart.load_archive(archive.getvalue())


@functools.lru_cache(maxsize=8)
def loaded_chart(chart: str) -> LoadedChart:
    return LoadedChart(chart)


_started: dict[tuple[str, str], concurrent.futures.Future] = {}


@functools.cache
def _helm_thread() -> concurrent.futures.ThreadPoolExecutor:
    return concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="helm")


def start_loading(chart: str) -> None:
    """Load ``chart`` (and Helm's runtime) on the Helm thread now, so that the first
    render does not wait for it."""
    _helm_thread().submit(loaded_chart, chart)


def start_rendering(chart: str, requests: list[ChartRequest]) -> None:
    """Begin rendering ``requests`` in a background thread; ``render_chart`` with the same
    arguments collects each result. Helm's Go code runs without Python's lock, so the
    charts of a region's archives render on the second core while this thread registers
    resources. Pass all of a program's releases at once: their values are checked
    against the schema together (see LoadedChart)."""
    requests = [r for r in requests if (chart, r.key) not in _started]
    if not requests:
        return
    helm = _helm_thread()
    checked = helm.submit(lambda: loaded_chart(chart).check(requests))

    def render(index: int) -> dict[str, str]:
        result = checked.result()[index]  # done: the thread runs its tasks in order
        if isinstance(result, ChartRenderError):
            raise result
        return loaded_chart(chart).render(result)

    for index, request in enumerate(requests):
        _started[chart, request.key] = helm.submit(render, index)


def render_chart(chart: str, values: dict[str, Any], release: str, namespace: str) -> list[dict[str, Any]]:
    """Render ``charts/<chart>`` with ``values``; return its objects in template order.

    The chart's ``values.schema.json`` is enforced by Helm before rendering, so values
    the schema refuses (e.g. storage recycling on) stop the program here.
    """
    request = ChartRequest(values, release, namespace)
    start_rendering(chart, [request])  # unless it was started already
    rendered = _started.pop((chart, request.key)).result()
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
