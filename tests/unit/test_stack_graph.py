"""The stack graph, and the CI pipeline that must follow it."""

from __future__ import annotations

from pathlib import Path

import yaml

from infra.stackgraph import affected_stacks, deployment_waves, production_stacks

REPO = Path(__file__).resolve().parents[2]
REGIONS = ["east-of-england", "london", "midlands", "north-east-and-yorkshire", "north-west", "south-east",
           "south-west", "wales"]


def test_national_deploys_before_every_region():
    assert deployment_waves(production_stacks()) == [["national"], REGIONS]


def test_dev_is_not_a_production_stack():
    assert "dev" not in production_stacks()


def test_the_pipeline_deploys_in_the_stack_graphs_waves():
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "pulumi.yml").read_text())
    jobs = workflow["jobs"]
    waves = deployment_waves(production_stacks())
    deploy_jobs = sorted(j for j in jobs if j.startswith("deploy-wave-"))
    assert deploy_jobs == [f"deploy-wave-{i}" for i in range(len(waves))]
    for index, wave in enumerate(waves):
        job = jobs[f"deploy-wave-{index}"]
        assert sorted(job["strategy"]["matrix"]["stack"]) == wave
        expected_need = "test" if index == 0 else f"deploy-wave-{index - 1}"
        assert job["needs"] == expected_need
        (action,) = [s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
        assert action["with"]["command"] == "up"
        assert action["with"]["policyPacks"] == "policies"


def test_pull_requests_preview_with_the_policy_pack_and_comment():
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "pulumi.yml").read_text())
    (action,) = [s for s in workflow["jobs"]["preview"]["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert action["with"]["command"] == "preview"
    assert action["with"]["policyPacks"] == "policies"
    assert action["with"]["comment-on-pr"] is True


def test_affected_stacks():
    assert affected_stacks(["stacks/estate/trusts/wales.yaml"]) == ["national", "wales"]
    assert affected_stacks(["docs/architecture.md"]) == []
    assert affected_stacks(["infra/components/tenancy.py"]) == production_stacks()
    # RA7 (south-west) <-> RQF (wales), RP4/RRV and RJZ/RJ1 (london), R0A/RBV (north-west), RYJ/RAL (london)
    assert affected_stacks(["stacks/estate/sharing-agreements.yaml"]) == ["london", "north-west", "south-west", "wales"]
