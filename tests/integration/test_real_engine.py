"""The real `pulumi` engine, the policy pack inside it, and a real API server."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
PREFIX = "urn:pulumi:dev::imaging-cloud::"
#: The tenancy and segmentation of the dev stack: what a local API server can hold without
#: operators (the archive's custom resources need CloudNativePG, Rook, cert-manager and
#: External Secrets CRDs, which cannot be installed here: see docs/adr/0005-real-engine.md).
TENANCY_TARGETS = [
    "--target", f"{PREFIX}pulumi:providers:kubernetes::k8s-dev-london",
    "--target", f"{PREFIX}imaging-cloud:segmentation:PlatformZones**",
    "--target", f"{PREFIX}imaging-cloud:tenancy:TrustTenancy**",
]


def test_preview_of_the_dev_stack_passes_the_policy_pack(engine, dev_config):
    result = engine.run("preview", "-s", "dev", "--config-file", str(dev_config), "--policy-pack", "policies")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "imaging-cloud@v" in result.stdout  # the pack ran
    assert "to create" in result.stdout


def test_a_planted_violation_blocks_preview(engine, tmp_path):
    project = tmp_path / "violating"
    shutil.copytree(REPO / "tests" / "integration" / "violating", project)
    (project / "Pulumi.yaml").write_text(
        (project / "Pulumi.yaml").read_text().replace("../../../.venv", str(REPO / ".venv"))
    )
    config = project / "Pulumi.violation.yaml"
    engine.init("violation", config, cwd=project)
    result = engine.run("preview", "-s", "violation", "--config-file", str(config),
                        "--policy-pack", str(REPO / "policies"), cwd=project)
    assert result.returncode != 0
    assert "namespaces-default-deny" in result.stdout
    assert "no-node-or-load-balancer-services" in result.stdout


def test_up_creates_the_tenancy_the_renderer_rendered(engine, dev_config, rendered_dev, local_cluster):
    # Targeted, so the pack sees a partial stack; it ran on the whole stack in the preview test.
    result = engine.run("up", "--yes", "-s", "dev", "--config-file", str(dev_config), *TENANCY_TARGETS)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]

    from kubernetes import client, config

    api = client.ApiClient(config.new_client_from_config(str(local_cluster)).configuration)
    core, net, rbac = client.CoreV1Api(api), client.NetworkingV1Api(api), client.RbacAuthorizationV1Api(api)
    live_namespaces = {ns.metadata.name: ns for ns in core.list_namespace().items}
    for rendered in rendered_dev.objects("Namespace"):
        name = rendered["metadata"]["name"]
        assert name in live_namespaces, name
        assert rendered["metadata"]["labels"].items() <= live_namespaces[name].metadata.labels.items()
    for trust in ("trust-rj1", "trust-rjz", "trust-rp4", "trust-rrv"):
        live = {p.metadata.name: api.sanitize_for_serialization(p.spec)
                for p in net.list_namespaced_network_policy(trust).items}
        expected = {p["metadata"]["name"]: p["spec"] for p in rendered_dev.objects("NetworkPolicy", trust)
                    if "imaging.nhs.uk/sharing-agreement" not in p["metadata"]["labels"]
                    and p["metadata"]["labels"].get("app.kubernetes.io/managed-by") == "imaging-cloud"}
        for name, spec in expected.items():
            assert name in live, (trust, name)
            assert _normalise(live[name]) == _normalise(spec), (trust, name)
        (quota,) = core.list_namespaced_resource_quota(trust).items
        (rendered_quota,) = rendered_dev.objects("ResourceQuota", trust)
        assert quota.spec.hard == rendered_quota["spec"]["hard"]
        bindings = {b.metadata.name: b for b in rbac.list_namespaced_role_binding(trust).items}
        assert {b.subjects[0].name for b in bindings.values()} == {
            f"oidc:imaging-cloud:{trust.removeprefix('trust-').upper()}:admins",
            f"oidc:imaging-cloud:{trust.removeprefix('trust-').upper()}:readers",
        }


def test_a_second_up_changes_nothing(engine, dev_config):
    engine.run("up", "--yes", "-s", "dev", "--config-file", str(dev_config), *TENANCY_TARGETS)
    again = engine.run("preview", "-s", "dev", "--config-file", str(dev_config), "--expect-no-changes",
                       *TENANCY_TARGETS)
    assert again.returncode == 0, again.stdout[-4000:] + again.stderr[-2000:]


def _normalise(spec: dict) -> dict:
    """The API server fills defaults (protocol TCP, empty lists); compare what we declared."""
    text = yaml.safe_dump(spec, sort_keys=True)
    data = yaml.safe_load(text)

    def clean(node):
        if isinstance(node, dict):
            return {k: clean(v) for k, v in node.items() if v not in (None, [], {}) or k == "podSelector"}
        if isinstance(node, list):
            return [clean(v) for v in node]
        return node

    return clean(data)
