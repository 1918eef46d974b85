"""Helm releases install pinned charts from the national registry, with images from it.

A chart is code that runs with cluster-admin rights at install time. Pulled from a public
repository at a floating version, it can change between preview and deployment, and its
default images come from public registries.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from imaging_policies.controls import ncsc, ndg
from imaging_policies.conventions import APPROVED_REGISTRY
from imaging_policies.core import Context, Resource, dig, is_unknown, resource_policy
from imaging_policies.k8s import RELEASE, walk

EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
REGISTRY_KEY = re.compile(r"(^|\.)(registry|imageRegistry)$")


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "") if "://" in url else url.split("/", 1)[0]


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    chart = resource.props.get("chart")
    repo = dig(resource.props, "repositoryOpts", "repo")
    if isinstance(chart, str) and not is_unknown(chart):
        source = chart if "://" in chart else (repo if isinstance(repo, str) else "")
        field = "chart" if "://" in chart else "repositoryOpts.repo"
        if not source:
            yield f"chart {chart!r} names no repository: use oci://{APPROVED_REGISTRY}/charts/{chart}"
        elif _host(source) != APPROVED_REGISTRY:
            yield f"{field} {source!r} is not the national registry: mirror the chart into {APPROVED_REGISTRY}"
        elif not source.startswith(("oci://", "https://")):
            yield f"{field} {source!r} is not fetched over TLS: use oci:// or https://"
    version = resource.props.get("version")
    if not is_unknown(version) and (not isinstance(version, str) or not EXACT_VERSION.match(version)):
        yield f"version is {version!r}: pin the exact chart version (e.g. 4.8.1)"
    for path, value in walk(resource.props.get("values") or {}, "values"):
        if REGISTRY_KEY.search(path) and isinstance(value, str) and value and not is_unknown(value):
            if _host(value) != APPROVED_REGISTRY:
                yield f"{path} is {value!r}: images come from {APPROVED_REGISTRY} only"


POLICY = resource_policy(
    check,
    applies_to={RELEASE},
    id="helm-releases-from-national-registry",
    severity="high",
    description="Every Helm release installs an exactly pinned chart from the national registry and points its images there.",
    remediation=(
        f"1. Mirror the chart to oci://{APPROVED_REGISTRY}/charts and reference it there.\n"
        "2. Set version to the exact chart version.\n"
        f"3. Set the chart's image registry values to {APPROVED_REGISTRY}."
    ),
    controls=(ncsc(8), ndg(9)),
)
