"""Properties of the rendered estate: isolation, tenancy, providers, output fidelity."""

from __future__ import annotations

from pathlib import Path

import yaml

from infra.model.loader import load_estate

REPO = Path(__file__).resolve().parents[2]
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection", "*", "bind", "escalate", "impersonate"}


def trust_namespaces(stack) -> dict[str, dict]:
    return {
        ns["metadata"]["name"]: ns
        for ns in stack.objects("Namespace")
        if "imaging.nhs.uk/trust" in ns["metadata"].get("labels", {})
    }


def has_default_deny(policies: list[dict]) -> bool:
    for policy in policies:
        spec = policy["spec"]
        if (
            spec.get("podSelector") == {}
            and set(spec.get("policyTypes", [])) == {"Ingress", "Egress"}
            and not spec.get("ingress")
            and not spec.get("egress")
        ):
            return True
    return False


def selected_namespaces(peer: dict) -> set[str] | None:
    """Namespaces a peer's namespaceSelector names (None: the peer has no such selector).

    Only the API-server-owned ``kubernetes.io/metadata.name`` label may be used, with
    ``matchLabels`` or an ``In`` expression; anything else fails the assertion.
    """
    selector = peer.get("namespaceSelector")
    if selector is None:
        return None
    names: set[str] = set()
    assert set(selector) <= {"matchLabels", "matchExpressions"} and selector, selector
    for key, value in (selector.get("matchLabels") or {}).items():
        assert key == NAMESPACE_NAME_LABEL, selector
        names.add(value)
    for expression in selector.get("matchExpressions") or []:
        assert expression["key"] == NAMESPACE_NAME_LABEL and expression["operator"] == "In", selector
        names |= set(expression["values"])
    return names


def peers(policy: dict) -> list[dict]:
    spec = policy["spec"]
    found = []
    for rule in spec.get("ingress", []):
        found += rule.get("from", [])
    for rule in spec.get("egress", []):
        found += rule.get("to", [])
    return found


def test_every_trust_namespace_denies_ingress_and_egress_by_default(rendered_dev, rendered_all):
    for stack in [rendered_dev, *rendered_all.values()]:
        for ns in trust_namespaces(stack):
            assert has_default_deny(stack.objects("NetworkPolicy", ns)), f"{stack.plan['stack']}/{ns}"


def test_every_zone_namespace_denies_by_default(rendered_dev):
    zones = [n["metadata"]["name"] for n in rendered_dev.objects("Namespace") if "imaging.nhs.uk/zone" in n["metadata"]["labels"]]
    assert sorted(zones) == ["zone-exchange", "zone-ingress", "zone-monitoring", "zone-system"]
    for ns in zones:
        assert has_default_deny(rendered_dev.objects("NetworkPolicy", ns)), ns


def test_namespace_selectors_use_only_the_metadata_name_label(rendered_dev, rendered_all):
    for stack in [rendered_dev, *rendered_all.values()]:
        for policy in stack.objects("NetworkPolicy"):
            for peer in peers(policy):
                names = selected_namespaces(peer)
                assert names is None or names, policy["metadata"]


def cross_trust_flows(stack) -> set[tuple[str, str, str]]:
    """(namespace of the policy, other trust namespace, agreement label or '') for every
    peer in a trust namespace's policy that names another trust's namespace."""
    trusts = set(trust_namespaces(stack))
    flows = set()
    for policy in stack.objects("NetworkPolicy"):
        ns = policy["metadata"]["namespace"]
        if ns not in trusts:
            continue
        for peer in peers(policy):
            for other in selected_namespaces(peer) or set():
                if other in trusts and other != ns:
                    agreement = policy["metadata"]["labels"].get("imaging.nhs.uk/sharing-agreement", "")
                    flows.add((ns, other, agreement))
    return flows


def test_no_cross_trust_flow_without_a_live_agreement(rendered_dev, rendered_all):
    for stack in [rendered_dev, *rendered_all.values()]:
        estate = load_estate(REPO / "stacks" / ("estate-dev" if stack.plan["stack"] == "dev" else "estate"))
        import datetime as dt

        live = {a.id: a for a in estate.live_agreements(dt.date(2026, 11, 27))}
        for ns, other, agreement in cross_trust_flows(stack):
            assert agreement in live, f"{stack.plan['stack']}: {ns} <-> {other} without a live agreement"
            pair = {estate.trust(live[agreement].provider).namespace, estate.trust(live[agreement].consumer).namespace}
            assert {ns, other} == pair, f"{agreement} does not cover {ns} <-> {other}"


def test_the_dev_agreement_opens_exactly_its_two_directions(rendered_dev):
    assert cross_trust_flows(rendered_dev) == {
        ("trust-rp4", "trust-rrv", "dsa-2026-0001"),
        ("trust-rrv", "trust-rp4", "dsa-2026-0001"),
    }


def test_an_expired_agreement_compiles_to_no_route(rendered_all):
    london = rendered_all["london"]
    labels = {p["metadata"]["labels"].get("imaging.nhs.uk/sharing-agreement") for p in london.objects("NetworkPolicy")}
    assert "dsa-2024-0107" not in labels  # expired 2026-05-01
    assert {"dsa-2026-0001", "dsa-2026-0002"} <= labels


def test_cross_region_agreements_route_through_the_exchange_zones(rendered_all):
    # RA7 (south-west) provides to RQF (wales): each side only opens towards its exchange zone.
    sw = [p for p in rendered_all["south-west"].objects("NetworkPolicy") if p["metadata"]["labels"].get("imaging.nhs.uk/sharing-agreement") == "dsa-2026-0004"]
    wales = [p for p in rendered_all["wales"].objects("NetworkPolicy") if p["metadata"]["labels"].get("imaging.nhs.uk/sharing-agreement") == "dsa-2026-0004"]
    assert {p["metadata"]["namespace"] for p in sw} == {"trust-ra7", "zone-exchange"}
    assert {p["metadata"]["namespace"] for p in wales} == {"trust-rqf", "zone-exchange"}
    wales_out = next(p for p in wales if p["metadata"]["name"].endswith("to-south-west-workload"))
    assert wales_out["spec"]["egress"][0]["to"] == [{"ipBlock": {"cidr": "10.203.0.0/22"}}]


def test_trust_namespaces_enforce_restricted_pod_security(rendered_dev):
    for ns in trust_namespaces(rendered_dev).values():
        labels = ns["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_quota_forbids_load_balancers_and_node_ports(rendered_dev):
    for ns in trust_namespaces(rendered_dev):
        (quota,) = rendered_dev.objects("ResourceQuota", ns)
        assert quota["spec"]["hard"]["services.loadbalancers"] == "0"
        assert quota["spec"]["hard"]["services.nodeports"] == "0"


def test_tenants_cannot_modify_namespaces_policies_or_rbac(rendered_dev):
    roles = {(r["metadata"]["namespace"], r["metadata"]["name"]): r for r in rendered_dev.objects("Role")}
    bindings = rendered_dev.objects("RoleBinding")
    tenant_bindings = [b for b in bindings if any(s["name"].startswith("oidc:imaging-cloud:") for s in b["subjects"])]
    assert len(tenant_bindings) == 2 * len(trust_namespaces(rendered_dev))
    assert not rendered_dev.objects("ClusterRoleBinding"), "tenants get no cluster-wide grants"
    protected = {"namespaces", "roles", "rolebindings", "clusterroles", "clusterrolebindings", "networkpolicies",
                 "resourcequotas", "limitranges", "secrets", "pods/exec"}
    for binding in tenant_bindings:
        assert binding["roleRef"]["kind"] == "Role"
        role = roles[(binding["metadata"]["namespace"], binding["roleRef"]["name"])]
        for rule in role["rules"]:
            assert "*" not in rule["verbs"] and "*" not in rule["resources"] and "*" not in rule["apiGroups"]
            written = set(rule["resources"]) & protected
            assert not (written and set(rule["verbs"]) & WRITE_VERBS), (role["metadata"], rule)
            assert not written & {"secrets", "pods/exec"}, "no secret reads, no exec"


def test_every_kubernetes_resource_uses_an_explicit_cluster_provider(rendered_dev, rendered_all):
    pulumi_yaml = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    assert pulumi_yaml["config"]["pulumi:disable-default-providers"]["value"] == ["kubernetes"]
    for stack in [rendered_dev, *rendered_all.values()]:
        providers = {r["urn"]: r for r in stack.resources if r["type"] == "pulumi:providers:kubernetes"}
        assert providers, stack.plan["stack"]
        for provider in providers.values():
            assert provider["inputs"]["kubeconfig"] == "[secret]"
            assert provider["inputs"]["clusterIdentifier"] == provider["name"].removeprefix("k8s-")
        for r in stack.resources:
            if r["custom"] and r["type"].startswith("kubernetes:"):
                assert r["provider"] in providers, f"{r['urn']} has no explicit provider"
                assert "::default_" not in r["provider"]


def test_integers_stay_integers_in_manifests(rendered_dev, rendered_all):
    policy = yaml.safe_load((rendered_dev.manifests / "trust-rj1" / "networkpolicy-allow-from-ingress-zone.yaml").read_text())
    assert [p["port"] for p in policy["spec"]["ingress"][0]["ports"]] == [8042, 4242]
    assert all(type(p["port"]) is int for p in policy["spec"]["ingress"][0]["ports"])
    cluster = next(o for o in rendered_all["national"].objects("Cluster") if o["metadata"]["name"] == "london-workload")
    assert type(cluster["spec"]["topology"]["controlPlane"]["replicas"]) is int


def test_the_whole_national_estate_renders(rendered_all):
    assert set(rendered_all) == {"national", "london", "south-east", "south-west", "east-of-england", "midlands",
                                 "north-east-and-yorkshire", "north-west", "wales"}
    trusts = [t for name, stack in rendered_all.items() for t in stack.plan["summary"]["trusts"]]
    assert len(trusts) == len(set(trusts)) == 209


def test_region_stacks_read_the_national_stack(rendered_all):
    for name, stack in rendered_all.items():
        if name == "national":
            continue
        (reference,) = [r for r in stack.resources if r["type"] == "pulumi:pulumi:StackReference"]
        assert reference["name"] == "organization/imaging-cloud/national"
