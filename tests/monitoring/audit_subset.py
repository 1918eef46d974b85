"""A small evaluator of Kubernetes audit policies (audit.k8s.io/v1), first match wins.

It follows the API server's rule matching (``k8s.io/apiserver/pkg/audit/policy``):
``users``, ``userGroups`` and ``verbs`` narrow every rule; a rule with ``namespaces`` or
``resources`` only matches resource requests (``namespaces`` only namespaced ones);
a rule with ``nonResourceURLs`` only matches non-resource requests (``/x*`` is a prefix);
a rule with none of those matches everything. Resources are ``resource`` or
``resource/subresource`` with ``*`` wildcards; an empty ``resources`` list in a group
matches the whole group. The request's namespace for the ``namespaces`` resource itself is
the namespace's name, as in the API server's RequestInfo.
"""

from __future__ import annotations

import dataclasses
from typing import Any

LEVELS = ["None", "Metadata", "Request", "RequestResponse"]


@dataclasses.dataclass(frozen=True)
class Request:
    verb: str
    user: str = "oidc:someone@nhs.net"
    groups: tuple[str, ...] = ("system:authenticated",)
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""  # non-resource requests only

    @property
    def is_resource(self) -> bool:
        return bool(self.resource)


def _resource_matches(rule: dict[str, Any], req: Request) -> bool:
    if not req.is_resource:
        return False
    if rule.get("namespaces") and req.namespace not in rule["namespaces"]:
        return False
    if not rule.get("resources"):
        return True
    combined = f"{req.resource}/{req.subresource}" if req.subresource else req.resource
    for gr in rule["resources"]:
        if gr.get("group", "") != req.group:
            continue
        names = gr.get("resources") or []
        if not names:
            return True
        for res in names:
            if res in (combined, "*") or (res == f"{req.resource}/*" and req.subresource) or (
                    res.startswith("*/") and req.subresource and res[2:] == req.subresource):
                if not gr.get("resourceNames") or req.name in gr["resourceNames"]:
                    return True
    return False


def _non_resource_matches(rule: dict[str, Any], req: Request) -> bool:
    if req.is_resource:
        return False
    for url in rule["nonResourceURLs"]:
        if url == "*" or url == req.path or (url.endswith("*") and req.path.startswith(url[:-1])):
            return True
    return False


def rule_matches(rule: dict[str, Any], req: Request) -> bool:
    if rule.get("users") and req.user not in rule["users"]:
        return False
    if rule.get("userGroups") and not set(rule["userGroups"]) & set(req.groups):
        return False
    if rule.get("verbs") and req.verb not in rule["verbs"]:
        return False
    if rule.get("namespaces") or rule.get("resources"):
        return _resource_matches(rule, req)
    if rule.get("nonResourceURLs"):
        return _non_resource_matches(rule, req)
    return True


def level_of(policy: dict[str, Any], req: Request) -> tuple[str, int | None]:
    """(level, index of the first matching rule); ``("None", None)`` when no rule matches."""
    for index, rule in enumerate(policy["rules"]):
        if rule_matches(rule, req):
            return rule["level"], index
    return "None", None


def at_least(level: str, minimum: str) -> bool:
    return LEVELS.index(level) >= LEVELS.index(minimum)


def could_match_resource(rule: dict[str, Any], group: str, resource: str) -> bool:
    """Could ``rule`` match some request on ``group/resource`` (any verb, user, namespace)?"""
    if rule.get("nonResourceURLs") and not (rule.get("namespaces") or rule.get("resources")):
        return False
    if not rule.get("resources"):
        return True
    probe = Request(verb="get", group=group, resource=resource.split("/")[0],
                    subresource=resource.split("/")[1] if "/" in resource else "",
                    namespace=(rule.get("namespaces") or ["any"])[0])
    relaxed = {k: v for k, v in rule.items() if k == "namespaces"}
    relaxed["resources"] = [{k: v for k, v in gr.items() if k != "resourceNames"} for gr in rule["resources"]]
    return _resource_matches(relaxed, probe) or any(
        gr.get("group", "") == group and any(n.endswith("*") for n in gr.get("resources") or [])
        for gr in rule["resources"]
    )
