"""The security agents send to the national hub, over verified TLS.

An agent that logs only locally is lost with its cluster, and one that sends in clear, or
without checking the hub's certificate, leaks the audit trail or can be fed by an impostor.
Each agent that ships data (Falco, Fluent Bit, the Prometheus agent) must name an endpoint
in the hub's domain over https; no agent may turn certificate verification off.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.conventions import HUB_DOMAIN, HUB_NAMESPACE, MONITORING_ZONE
from imaging_policies.core import Context, NotApplicable, Resource, resource_policy
from imaging_policies.k8s import RELEASE, release_namespace, walk
from imaging_policies.k8s import chart_name
from imaging_policies.monitoring.security_agents_on_workload_clusters import AGENTS

#: Agents that ship data themselves (the Trivy operator's reports leave through Prometheus).
SHIPPERS = ("falco", "fluent-bit", "prometheus agent")

INSECURE_KEY = re.compile(r"(insecureSkipVerify|insecure_skip_verify|tlsVerify|tls\.verify|verify)$", re.IGNORECASE)
PLAIN_URL = re.compile(r"^http://", re.IGNORECASE)


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    chart = chart_name(resource)
    agent = next((name for name, matches in AGENTS.items() if matches(chart)), None)
    if agent is None or release_namespace(resource) == HUB_NAMESPACE:
        raise NotApplicable("not a security agent (the hub's own releases receive, they do not report)")
    values = list(walk(resource.props.get("values") or {}, "values"))
    hub = [(p, v) for p, v in values if isinstance(v, str) and HUB_DOMAIN in v]
    if not hub and agent in SHIPPERS:
        yield f"values name no endpoint under {HUB_DOMAIN}: send events, logs and metrics to the national hub"
    for path, value in hub:
        if PLAIN_URL.match(value):
            yield f"{path} is {value!r}: use https"
    for path, value in values:
        key = path.rsplit(".", 1)[-1]
        if INSECURE_KEY.search(key):
            insecure = (value is True) if "insecure" in key.lower() else (value is False or value in ("false", "off", "Off"))
            if insecure:
                yield f"{path} is {value!r}: keep TLS certificate verification on"
    if release_namespace(resource) != MONITORING_ZONE:
        yield f"namespace is {release_namespace(resource)!r}: security agents run in {MONITORING_ZONE}"


POLICY = resource_policy(
    check,
    applies_to={RELEASE},
    id="security-agents-report-to-hub",
    severity="high",
    description="Every security agent release runs in the monitoring zone and sends to the national hub over verified https.",
    remediation=(
        "1. Set the agent's output endpoints from the hub contract (events/logs/metrics under "
        f"{HUB_DOMAIN}, https).\n"
        "2. Remove any option that disables certificate verification; trust the hub's CA instead."
    ),
    controls=(ncsc(13), ncsc(1), ndg(6)),
)
