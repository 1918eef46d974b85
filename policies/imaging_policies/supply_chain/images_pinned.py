"""Every image is pinned: by digest, or by an exact version tag; never ``latest``.

A floating tag (``latest``, ``1``, ``1.12``, or none at all) lets the content of a
running archive change without a change to this repository, so the reviewed and audited
release is not what runs. A digest pins the exact bytes; an exact tag at least names one
release.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.core import Context, Resource, is_unknown, resource_policy
from imaging_policies.k8s import WORKLOAD_KINDS, container_name, containers, pod_spec, split_image

#: An exact release: major.minor.patch, optionally v-prefixed and with a suffix (-r1, -debian-12).
EXACT_TAG = re.compile(r"^v?\d+\.\d+\.\d+([._+-][0-9A-Za-z.+-]+)?$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    path, pod = pod_spec(resource)
    for cpath, container in containers(path, pod):
        image = container.get("image")
        if not isinstance(image, str) or not image or is_unknown(image):
            continue
        _, _, tag, digest = split_image(image)
        name = container_name(container)
        if digest is not None:
            if not DIGEST.match(digest):
                yield f"{cpath}.image {image!r} has a malformed digest{name}: use @sha256:<64 hex digits>"
            continue
        if tag is None or tag == "latest":
            yield f"{cpath}.image {image!r} is not pinned{name}: add the exact version tag and its @sha256 digest"
        elif not EXACT_TAG.match(tag):
            yield f"{cpath}.image {image!r} uses the floating tag {tag!r}{name}: pin an exact version and its digest"


POLICY = resource_policy(
    check,
    applies_to=WORKLOAD_KINDS,
    id="images-pinned",
    severity="high",
    description="Every container image is pinned by digest or an exact version tag, never latest.",
    remediation=(
        "1. Replace the tag with the exact release (e.g. 26.6.0) and append its digest "
        "(@sha256:...) as published by the national mirror.\n"
        "2. Bump both together through a reviewed change."
    ),
    controls=(ncsc(8), ndg(8), cis("5.5.1")),
)
