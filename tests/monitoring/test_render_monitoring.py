"""The monitoring components in the rendered stacks: every Release recorded in plan.json
with chart, version, repository and values; the hub sized from the estate; mTLS endpoints.
"""

from __future__ import annotations

import pytest

from infra.monitoring import values

RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.fixture(scope="module")
def national_plan(rendered_all):
    return rendered_all["national"].plan


@pytest.fixture(scope="module")
def region_plan(rendered_all):
    return rendered_all["wales"].plan


@pytest.fixture(scope="module")
def london_plan(rendered_all):
    return rendered_all["london"].plan


def releases(plan):
    return {r["inputs"]["name"]: r for r in plan["resources"] if r["type"] == RELEASE}


def test_agents_installed_in_the_monitoring_zone(london_plan):
    found = releases(london_plan)
    assert sorted(found) == sorted([values.RELEASES[k] for k in ("falco", "fluent-bit", "metrics", "trivy")])
    for name, r in found.items():
        inputs = r["inputs"]
        chart = next(c for c in values.CHARTS.values() if c.mirror_reference() == inputs["chart"])
        assert inputs["chart"].startswith("oci://registry.imaging.nhs.uk/charts/")
        assert inputs["version"] == chart.version and "repositoryOpts" not in inputs
        assert inputs["namespace"] == "zone-monitoring" and inputs["createNamespace"] is False
        assert isinstance(inputs["values"], dict) and inputs["values"], name
        assert r["parent"].endswith("imaging-cloud:monitoring:SecurityAgents::london-workload-security-agents")


def test_agent_values_carry_cluster_and_region(london_plan):
    found = releases(london_plan)
    assert found["falco"]["inputs"]["values"]["falcosidekick"]["config"]["customfields"] == \
        "region:london,cluster:london-workload"
    ps = found["metrics-agent"]["inputs"]["values"]["prometheus"]["prometheusSpec"]
    assert ps["externalLabels"] == {"cluster": "london-workload", "region": "london"}
    lua = found["fluent-bit"]["inputs"]["values"]["luaScripts"]["imaging_enrich.lua"]
    assert 'local CLUSTER = "london-workload"' in lua and '["trust-rj1"] = "RJ1"' in lua
    rules = found["falco"]["inputs"]["values"]["customRules"]
    assert "trust-rj1" in rules["00-imaging-lists.yaml"]


def test_region_stack_reads_endpoints_through_the_stack_reference(region_plan):
    """Region stacks get the contract as an Output from the national StackReference."""
    agents = [r for r in region_plan["resources"] if r["type"] == "imaging-cloud:monitoring:SecurityAgents"]
    assert len(agents) == len(region_plan["summary"]["clusters"])
    for r in region_plan["resources"]:
        if r["type"] == RELEASE and r["inputs"]["name"] == "fluent-bit":
            outputs = r["inputs"]["values"]["config"]["outputs"]
            assert "Host                     logs.hub.imaging.nhs.uk" in outputs


def test_agents_wait_for_the_zone(london_plan):
    """The releases depend on the agents' NetworkPolicies, which sit in the monitoring zone."""
    found = releases(london_plan)
    assert all(r["options"]["dependsOn"] for r in found.values())


def test_hub_releases_and_sizing(national_plan):
    found = releases(national_plan)
    assert sorted(found) == sorted(values.RELEASES[k] for k in
                                   ("opensearch", "dashboards", "alertmanager", "grafana", "gateway", "hub-prometheus"))
    for r in found.values():
        assert r["inputs"]["namespace"] == "security-hub"
    # The national estate asks for production sizing.
    assert found["siem"]["inputs"]["values"]["replicas"] == 3
    assert found["alertmanager"]["inputs"]["values"]["replicaCount"] == 3
    assert found["ingest-gateway"]["inputs"]["values"]["replicaCount"] == 3


def test_hub_ingest_endpoints_are_the_contract_hostnames_with_mtls(national_plan):
    contract = national_plan["outputs"]["hub"]
    ingresses = [r["inputs"] for r in national_plan["resources"]
                 if r["inputs"].get("kind") == "Ingress" and r["inputs"]["metadata"]["namespace"] == "security-hub"]
    hosts = {i["spec"]["rules"][0]["host"] for i in ingresses}
    assert hosts == {values._endpoint(u)[0] for u in contract["endpoints"].values()}
    for ingress in ingresses:
        annotations = ingress["metadata"]["annotations"]
        assert annotations["nginx.ingress.kubernetes.io/auth-tls-verify-client"] == "on"
        assert annotations["nginx.ingress.kubernetes.io/auth-tls-secret"].endswith(values.SECRETS["ingest-client-ca"])


def test_audit_archive_object_lock_uses_estate_retention(national_plan):
    jobs = [r["inputs"] for r in national_plan["resources"] if r["inputs"].get("kind") == "Job"]
    assert len(jobs) == 1
    script = jobs[0]["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert '"Mode":"COMPLIANCE","Days":2557' in script
    assert "refusing to shorten" in script


def test_hub_namespace_is_default_deny(national_plan):
    policies = [r["inputs"]["metadata"]["name"] for r in national_plan["resources"]
                if r["inputs"].get("kind") == "NetworkPolicy" and r["inputs"]["metadata"]["namespace"] == "security-hub"]
    assert "default-deny" in policies


def test_every_workload_cluster_has_the_agents(rendered_all):
    for name, stack in rendered_all.items():
        if name == "national":
            continue
        kinds = stack.plan["summary"]["byKind"]
        assert kinds["imaging-cloud:monitoring:SecurityAgents"] == len(stack.plan["summary"]["clusters"]), name
        assert kinds[RELEASE] == 4, name


def test_the_local_control_plane_says_why_it_has_no_agent_releases(rendered_dev):
    (agents,) = [r for r in rendered_dev.resources if r["type"] == "imaging-cloud:monitoring:SecurityAgents"]
    assert agents["inputs"]["releasesInstalled"] is False
    assert agents["inputs"]["releasesSkippedBecause"].startswith("local control plane")
    assert not [r for r in rendered_dev.resources if r["type"] == RELEASE]
