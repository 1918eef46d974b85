"""Every container image comes from the approved national registry.

The national registry is a scanned, signed mirror inside the estate. An image pulled from
Docker Hub or a vendor registry bypasses that scanning, depends on a service outside the
UK, and can change under the same name.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.conventions import APPROVED_REGISTRY
from imaging_policies.core import Context, Resource, is_unknown, resource_policy
from imaging_policies.k8s import WORKLOAD_KINDS, container_name, containers, pod_spec, split_image


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    path, pod = pod_spec(resource)
    for cpath, container in containers(path, pod):
        image = container.get("image")
        if is_unknown(image):
            continue
        if not isinstance(image, str) or not image:
            yield f"{cpath}.image is not set{container_name(container)}"
            continue
        registry = split_image(image)[0]
        if registry != APPROVED_REGISTRY:
            yield (f"{cpath}.image {image!r} is pulled from {registry}{container_name(container)}: "
                   f"use the national mirror {APPROVED_REGISTRY}")


POLICY = resource_policy(
    check,
    applies_to=WORKLOAD_KINDS,
    id="images-from-national-registry",
    severity="high",
    description=f"Every container image is pulled from the approved national registry {APPROVED_REGISTRY}.",
    remediation=(
        f"1. Mirror the image into {APPROVED_REGISTRY} (it is scanned on the way in).\n"
        f"2. Reference it as {APPROVED_REGISTRY}/<path>:<version>@sha256:<digest>."
    ),
    controls=(ncsc(8), ndg(9), cis("5.5.1")),
)
