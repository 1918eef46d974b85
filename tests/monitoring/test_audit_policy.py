"""The API server audit policy (infra/cluster/audit_policy.py), checked with first-match semantics.

- Payloads of credential-bearing resources are never written: no rule that could match them
  at Request/RequestResponse comes before their Metadata rule, and every sample request on
  them (all verbs, users, namespaces) resolves to Metadata.
- Anything in a trust (archive) namespace is logged at Metadata or above, and changes to it
  with the request and response bodies (what the hub's detections read).
"""

from __future__ import annotations

import itertools

import pytest
from audit_subset import LEVELS, Request, at_least, could_match_resource, level_of

from infra.cluster.audit_policy import READ_VERBS, SENSITIVE_RESOURCES, WRITE_VERBS, audit_policy

TRUSTS = ["trust-rj1", "trust-rjz"]
POLICY = audit_policy(TRUSTS)
ALL_VERBS = WRITE_VERBS + READ_VERBS
SENSITIVE = [(gr["group"], res) for gr in SENSITIVE_RESOURCES for res in gr["resources"]]
USERS = [
    ("oidc:a.clinician@nhs.net", ("oidc:imaging-cloud:RJ1:readers", "system:authenticated")),
    ("kubernetes-admin", ("system:masters", "system:authenticated")),
    ("system:serviceaccount:zone-system:cnpg-manager", ("system:serviceaccounts", "system:authenticated")),
    ("system:kube-controller-manager", ("system:authenticated",)),
]
NAMESPACES = TRUSTS + ["zone-monitoring", "kube-system", ""]


def _request(verb, user, groups, group, resource, namespace, name="x"):
    res, _, sub = resource.partition("/")
    return Request(verb=verb, user=user, groups=groups, group=group, resource=res, subresource=sub,
                   namespace=namespace, name=name)


def _sensitive_rule_index() -> int:
    for index, rule in enumerate(POLICY["rules"]):
        if rule["level"] == "Metadata" and rule.get("resources") == SENSITIVE_RESOURCES:
            return index
    raise AssertionError("no Metadata rule for the sensitive resources")


def test_policy_shape():
    assert POLICY["apiVersion"] == "audit.k8s.io/v1" and POLICY["kind"] == "Policy"
    assert POLICY["rules"][-1] == {"level": "Metadata"}, "the catch-all must log everything else at Metadata"
    for rule in POLICY["rules"]:
        assert rule["level"] in LEVELS


@pytest.mark.parametrize("group,resource", SENSITIVE)
def test_no_body_rule_can_reach_sensitive_resources_first(group, resource):
    """Static check: rules before the Metadata rule never log bodies of these resources."""
    for rule in POLICY["rules"][: _sensitive_rule_index()]:
        if at_least(rule["level"], "Request"):
            assert not could_match_resource(rule, group, resource), (rule, resource)


@pytest.mark.parametrize("group,resource", SENSITIVE)
def test_sensitive_payloads_are_never_logged(group, resource):
    for verb, (user, groups), namespace in itertools.product(ALL_VERBS, USERS, NAMESPACES):
        level, index = level_of(POLICY, _request(verb, user, groups, group, resource, namespace))
        assert level == "Metadata", (verb, user, namespace, resource, index)


def test_sensitive_payloads_never_logged_whatever_the_trust_list():
    for trusts in ([], ["trust-a"], [f"trust-{i}" for i in range(50)]):
        policy = audit_policy(trusts)
        for (group, resource), verb in itertools.product(SENSITIVE, ALL_VERBS):
            for namespace in trusts[:2] + ["default"]:
                level, _ = level_of(policy, _request(verb, "u", ("g",), group, resource, namespace))
                assert not at_least(level, "Request"), (trusts[:2], resource, verb, level)


TRUST_RESOURCES = [("", "pods"), ("", "pods/log"), ("", "services"), ("apps", "deployments"),
                   ("networking.k8s.io", "networkpolicies"), ("rbac.authorization.k8s.io", "rolebindings"),
                   ("objectbucket.io", "objectbucketclaims"), ("postgresql.cnpg.io", "clusters"),
                   ("", "secrets"), ("", "configmaps"), ("", "pods/exec"), ("", "namespaces")]


@pytest.mark.parametrize("namespace", TRUSTS)
def test_trust_namespace_access_is_logged(namespace):
    users = [u for u in USERS]
    for (group, resource), verb, (user, groups) in itertools.product(TRUST_RESOURCES, ALL_VERBS, users):
        level, index = level_of(POLICY, _request(verb, user, groups, group, resource, namespace))
        assert at_least(level, "Metadata"), (verb, user, resource, index)


@pytest.mark.parametrize("namespace", TRUSTS)
def test_trust_namespace_changes_keep_bodies(namespace):
    """What the hub's detections read (NetworkPolicy/RBAC/bucket changes, retention annotation)."""
    for group, resource in [("networking.k8s.io", "networkpolicies"), ("rbac.authorization.k8s.io", "roles"),
                            ("rbac.authorization.k8s.io", "rolebindings"), ("objectbucket.io", "objectbucketclaims"),
                            ("", "namespaces"), ("apps", "deployments")]:
        for verb in WRITE_VERBS:
            level, _ = level_of(POLICY, _request(verb, "u", ("g",), group, resource, namespace))
            assert level == "RequestResponse", (resource, verb)


def test_exec_is_logged_everywhere():
    for namespace in NAMESPACES[:-1]:
        for sub in ("exec", "attach", "portforward"):
            level, _ = level_of(POLICY, _request("create", "u", ("g",), "", f"pods/{sub}", namespace))
            assert level == "RequestResponse"


def test_isolation_and_storage_changes_logged_outside_trusts_too():
    for group, resource, namespace in [("rbac.authorization.k8s.io", "clusterrolebindings", ""),
                                       ("networking.k8s.io", "networkpolicies", "zone-ingress"),
                                       ("ceph.rook.io", "cephobjectstores", "zone-system"),
                                       ("objectbucket.io", "objectbuckets", "")]:
        level, _ = level_of(POLICY, _request("patch", "u", ("g",), group, resource, namespace))
        assert level == "RequestResponse", resource


def test_health_checks_dropped_but_nothing_else():
    assert level_of(POLICY, Request(verb="get", path="/readyz"))[0] == "None"
    assert level_of(POLICY, Request(verb="get", path="/apis"))[0] == "Metadata"


def test_kube_proxy_watches_of_secrets_and_trusts_are_logged():
    proxy = ("system:kube-proxy", ("system:nodes", "system:authenticated"))
    assert level_of(POLICY, _request("watch", *proxy, "", "secrets", ""))[0] == "Metadata"
    assert level_of(POLICY, _request("watch", *proxy, "", "pods", "trust-rj1"))[0] == "Metadata"


def test_kube_proxy_service_watches_still_dropped():
    """Whatever the fix above, the noise it was meant to drop stays dropped."""
    proxy = ("system:kube-proxy", ("system:nodes", "system:authenticated"))
    assert level_of(POLICY, _request("watch", *proxy, "discovery.k8s.io", "endpointslices", ""))[0] == "None"
