"""Credentials reach containers from Secrets, never as literal environment values.

A literal ``value:`` is part of the Deployment: stored unencrypted in etcd, readable by
anyone who can read the workload, and printed by ``kubectl describe``. A ``secretKeyRef``
keeps the credential in a Secret, whose access is audited and restricted. The same goes
for credentials passed as command-line flags.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.core import Context, Resource, resource_policy
from imaging_policies.k8s import CREDENTIAL_ENV, WORKLOAD_KINDS, container_name, containers, is_placeholder, pod_spec

FLAG = re.compile(r"--?[\w-]*(password|passwd|token|secret|api-?key)[\w-]*[=:](?!\$)\S+", re.IGNORECASE)


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    path, pod = pod_spec(resource)
    for cpath, container in containers(path, pod):
        name = container_name(container)
        for index, env in enumerate(container.get("env") or []):
            if not isinstance(env, dict):
                continue
            if CREDENTIAL_ENV.search(str(env.get("name", "")).upper()) and env.get("value") not in (None, ""):
                yield (f"{cpath}.env[{index}] ({env.get('name')}) has a literal value{name}: "
                       "use valueFrom.secretKeyRef")
        for field in ("command", "args"):
            for index, item in enumerate(container.get(field) or []):
                if isinstance(item, str) and FLAG.search(item) and not is_placeholder(item):
                    yield f"{cpath}.{field}[{index}] passes a credential on the command line{name}: read it from a Secret"


POLICY = resource_policy(
    check,
    applies_to=WORKLOAD_KINDS,
    id="no-credentials-in-env-values",
    severity="high",
    description="No container receives a password, token or key as a literal environment value or command-line flag.",
    remediation=(
        "1. Put the credential in a Secret (pulumi.Output.secret) and reference it with valueFrom.secretKeyRef, "
        "or mount it as a file.\n"
        "2. Rotate the credential: it has been stored in clear."
    ),
    controls=(ncsc(9), ncsc(2), ndg(1), cis("5.4.1")),
)
