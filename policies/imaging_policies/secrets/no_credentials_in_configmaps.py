"""ConfigMaps, including the archive's orthanc.json, hold no credentials.

ConfigMaps are not secret: trust administrators may read them, they are logged, and they
are rendered to disk. Orthanc's users, database password, S3 keys and peer passwords come
from Secrets (a mounted users.json, environment variables substituted as ``${VAR}``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.core import Context, Resource, resource_policy
from imaging_policies.k8s import is_credential_key, is_placeholder, orthanc_configs, walk

LINE = re.compile(r"^\s*([\w.-]+)\s*[:=]\s*(\S.*)$", re.MULTILINE)


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    data = resource.props.get("data")
    if not isinstance(data, dict):
        return
    orthanc = {path for path, _ in orthanc_configs(resource)}
    for path, config in orthanc_configs(resource):
        if not isinstance(config, dict):
            continue
        if config.get("RegisteredUsers"):
            yield f"{path}.RegisteredUsers lists users and passwords: mount them from a Secret (users.json)"
        for leaf, value in walk(config):
            if leaf.startswith("RegisteredUsers"):
                continue
            if is_credential_key(leaf) and not is_placeholder(value) and isinstance(value, str):
                yield f"{path}.{leaf} holds a credential: use a ${{VARIABLE}} filled from a Secret"
    for key, value in data.items():
        if f"data[{key!r}]" in orthanc:
            continue
        if is_credential_key(key) and not is_placeholder(value):
            yield f"data[{key!r}] holds a credential: move it to a Secret"
        elif isinstance(value, str):
            for match in LINE.finditer(value):
                if is_credential_key(match.group(1)) and not is_placeholder(match.group(2).strip().strip("'\"")):
                    yield f"data[{key!r}] sets {match.group(1)} in clear: move it to a Secret"


POLICY = resource_policy(
    check,
    applies_to={"ConfigMap"},
    id="no-credentials-in-configmaps",
    severity="high",
    description="No ConfigMap, Orthanc configuration included, contains a password, token or key.",
    remediation=(
        "1. Move the value into a Secret and mount it, or reference it as ${VARIABLE} set from a secretKeyRef.\n"
        "2. Rotate the credential."
    ),
    controls=(ncsc(9), ncsc(2), ndg(1)),
)
