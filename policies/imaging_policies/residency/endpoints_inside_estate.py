"""Every endpoint a service talks to is inside the estate.

An S3 endpoint, peer archive URL, backup target or telemetry sink outside the estate is a
copy of patient data (or of its metadata) leaving the UK private cloud. Allowed are
in-cluster names (no dot, ``*.svc``, ``*.cluster.local``), private addresses, and hosts
under ``nhs.uk``, the NHS's own domain.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from imaging_policies.controls import ncsc, ndg
from imaging_policies.conventions import NHS_DOMAIN
from imaging_policies.core import SECRET, Context, NotApplicable, Resource, dig, is_unknown, resource_policy
from imaging_policies.k8s import (
    CNPG_CLUSTER, CONTROL_PLANE_TEMPLATE, RELEASE, WORKLOAD_KINDS, containers, orthanc_configs, pod_spec, walk,
)

ENDPOINT_KEY = re.compile(r"(url|uri|endpoint|endpointurl|host|hostname|server|address)$", re.IGNORECASE)
ENDPOINT_ENV = re.compile(r"(_URL|_URI|_ENDPOINT|_HOST)$")
#: Release values that name where the chart comes from, judged by the supply-chain rules.
IGNORED = re.compile(r"(^|\.)(repositoryOpts|image|images)(\.|\[|$)")


def host_of(value: str) -> str | None:
    """The host of a URL or bare ``host[:port]``; None for values that are not addresses."""
    value = value.strip()
    if not value or value in (SECRET,) or is_unknown(value) or "${" in value or " " in value:
        return None
    if "://" in value:
        return urlsplit(value).hostname
    if value.startswith("/"):
        return None
    host = value.split("/", 1)[0]
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def inside_estate(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_private
    except ValueError:
        pass
    host = host.lower().rstrip(".")
    return (
        "." not in host
        or host.endswith((".svc", ".cluster.local"))
        or host == NHS_DOMAIN or host.endswith("." + NHS_DOMAIN)
    )


def _candidates(resource: Resource) -> Iterator[tuple[str, Any]]:
    if resource.gk in WORKLOAD_KINDS:
        pod_path, pod = pod_spec(resource)
        for path, container in containers(pod_path, pod):
            for index, env in enumerate(container.get("env") or []):
                if isinstance(env, dict) and ENDPOINT_ENV.search(str(env.get("name", ""))) and "value" in env:
                    yield f"{path}.env[{index}].value", env["value"]
    elif resource.gk == "ConfigMap":
        for path, config in orthanc_configs(resource):
            if isinstance(config, dict):
                yield from ((f"{path}.{p}", v) for p, v in walk(config) if ENDPOINT_KEY.search(p.rsplit(".", 1)[-1]))
    elif resource.gk == RELEASE:
        for path, value in walk(resource.props.get("values") or {}, "values"):
            if not IGNORED.search(path) and ENDPOINT_KEY.search(re.sub(r"\[\d+\]$", "", path).rsplit(".", 1)[-1]):
                yield path, value
    elif resource.gk == CNPG_CLUSTER:
        for section in ("backup", "externalClusters"):
            yield from ((p, v) for p, v in walk(resource.props.get("spec", {}).get(section) or {}, f"spec.{section}")
                        if ENDPOINT_KEY.search(p.rsplit(".", 1)[-1]))
    elif resource.gk == CONTROL_PLANE_TEMPLATE:
        args = dig(resource.props, "spec", "template", "spec", "kubeadmConfigSpec", "clusterConfiguration",
                   "apiServer", "extraArgs", default={}) or {}
        for key, value in args.items():
            if key.endswith("-url"):
                yield f"spec.template.spec.kubeadmConfigSpec.clusterConfiguration.apiServer.extraArgs[{key!r}]", value


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    endpoints = [(p, v, host_of(v)) for p, v in _candidates(resource) if isinstance(v, str)]
    endpoints = [(p, v, h) for p, v, h in endpoints if h]
    if not endpoints:
        raise NotApplicable("names no endpoint")
    for path, value, host in endpoints:
        if not inside_estate(host):
            yield (f"{path} is {value!r}: {host} is outside the estate; use an in-cluster service name, "
                   f"a private address or an {NHS_DOMAIN} host in the UK")


POLICY = resource_policy(
    check,
    applies_to=WORKLOAD_KINDS | {"ConfigMap", RELEASE, CNPG_CLUSTER, CONTROL_PLANE_TEMPLATE},
    id="endpoints-inside-estate",
    severity="high",
    description="Every endpoint a workload, archive, database or agent talks to is inside the estate.",
    remediation=(
        "1. Point the field named in the message at the in-cluster service (<name>.<namespace>.svc) "
        "or the national service under nhs.uk.\n"
        "2. If a new external service is genuinely needed, host it in the UK estate first and "
        "record it in the data flow map of the DSPT submission."
    ),
    controls=(ncsc(2), ncsc(11), ndg(1)),
)
