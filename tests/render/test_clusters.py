"""Clusters are provisioned by Cluster API from the national stack, with audit and OIDC."""

from __future__ import annotations

import yaml


def test_every_region_gets_a_cluster_api_cluster(rendered_all):
    national = rendered_all["national"]
    clusters = {c["metadata"]["name"]: c for c in national.objects("Cluster")}
    assert set(clusters) == {f"{r}-workload" for r in rendered_all if r != "national"}
    london = clusters["london-workload"]
    assert london["apiVersion"] == "cluster.x-k8s.io/v1beta1"
    assert london["spec"]["topology"]["class"] == "nhs-openstack-v1"
    assert london["spec"]["topology"]["controlPlane"]["replicas"] == 3
    variables = {v["name"]: v["value"] for v in london["spec"]["topology"]["variables"]}
    assert variables["apiServerAllowedCIDRs"] == ["10.250.0.0/24"]
    policy = yaml.safe_load(variables["auditPolicy"])
    assert policy["kind"] == "Policy"
    trust_rule = next(r for r in policy["rules"] if "namespaces" in r)
    assert "trust-rj1" in trust_rule["namespaces"]


def test_cluster_objects_are_protected_and_retained(rendered_all):
    for r in rendered_all["national"].resources:
        if r["type"] == "kubernetes:cluster.x-k8s.io/v1beta1:Cluster":
            assert r["options"]["protect"] and r["options"]["retainOnDelete"], r["urn"]


def test_the_cluster_class_sets_audit_oidc_and_private_api(rendered_all):
    national = rendered_all["national"]
    (cp,) = national.objects("KubeadmControlPlaneTemplate")
    args = cp["spec"]["template"]["spec"]["kubeadmConfigSpec"]["clusterConfiguration"]["apiServer"]["extraArgs"]
    assert args["audit-policy-file"] == "/etc/kubernetes/audit/policy.yaml"
    assert args["oidc-issuer-url"].startswith("https://")
    assert args["oidc-groups-prefix"] == "oidc:"
    assert args["profiling"] == "false"
    (infra,) = national.objects("OpenStackClusterTemplate")
    assert infra["spec"]["template"]["spec"]["disableAPIServerFloatingIP"] is True


def test_kubeconfigs_flow_to_region_stacks_as_secrets(rendered_all):
    national = rendered_all["national"]
    reads = [r for r in national.resources if "read" in r and r["type"] == "kubernetes:core/v1:Secret"]
    assert sorted(r["read"]["id"] for r in reads) == sorted(
        f"imaging-clusters/{name}-workload-kubeconfig" for name in rendered_all if name != "national"
    )
    assert national.plan["outputs"]["kubeconfigs"] == "[secret]"
    assert national.plan["outputs"]["hub"]["contractVersion"] == 1


def test_each_stack_is_rendered_in_its_own_runtime(rendered_all):
    """Every top-level resource is parented to its own stack's root (no runtime reuse)."""
    for name, stack in rendered_all.items():
        roots = {r["parent"] for r in stack.resources if r["parent"] and r["parent"].split("::")[2] == "pulumi:pulumi:Stack"}
        assert roots == {f"urn:pulumi:{name}::imaging-cloud::pulumi:pulumi:Stack::imaging-cloud-{name}"}, name
