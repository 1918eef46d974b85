"""The offline audit of the dev stack: clean today, reported in every format."""

from __future__ import annotations

import json

from audit_helpers import AS_OF, run_cli
from infra.audit.pack import all_controls, registry


def test_dev_render_has_no_mandatory_violation(rendered_dev, tmp_path):
    result = run_cli("--plan", str(rendered_dev.directory), "--out", str(tmp_path), "--as-of", AS_OF.isoformat())
    assert result.returncode == 0, result.stderr + result.stdout
    audit = json.loads((tmp_path / "audit.json").read_text())
    assert audit["summary"]["mandatoryViolations"] == 0
    assert audit["stacks"] == ["dev"]
    results = {r["policy"]: r for r in audit["results"]}
    assert len(results) == len(registry.all_policies())
    # Rules over what dev already has are exercised, not skipped.
    for policy in ("namespaces-default-deny", "cross-trust-flows-need-live-agreement", "uk-only-locations",
                   "tenant-roles-cannot-escalate", "namespace-selectors-use-metadata-name"):
        assert results[policy]["status"] == "pass" and results[policy]["checked"] > 0, policy
    # The archives are judged on the real objects the archive component renders.
    for policy in ("object-lock-enabled", "object-lock-covers-retention-class", "orthanc-authentication-on",
                   "orthanc-storage-recycling-off", "data-resources-protected", "data-resources-retained-on-delete"):
        assert results[policy]["status"] == "pass" and results[policy]["checked"] > 0, policy
    # Rules with nothing to judge on dev say so (Cluster API objects live in the national stack).
    assert results["workload-clusters-audit-policy"]["status"] == "not-applicable"
    assert "no Cluster" in results["workload-clusters-audit-policy"]["reason"]
    assert results["index-database-tls-only"]["status"] == "pass"
    # The local control plane's exemption from the agents is stated, not silent.
    agents = results["security-agents-on-workload-clusters"]
    assert agents["status"] == "not-applicable" and agents["level"] == "mandatory"
    assert "local control plane" in agents["reason"]


def test_reports_cover_every_control_and_draw_the_estate(rendered_dev, tmp_path):
    run_cli("--plan", str(rendered_dev.directory), "--out", str(tmp_path), "--as-of", AS_OF.isoformat())
    html = (tmp_path / "report.html").read_text()
    markdown = (tmp_path / "report.md").read_text()
    for control in all_controls():
        assert f"<td>{control.key}</td>" in html, control.key
        assert f"| {control.key} " in markdown, control.key
    for policy in registry.all_policies():
        assert f"id='{policy.id}'" in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert html.count("<svg") == 2, "the estate map and one cluster's connectivity"
    for trust in ("RJ1", "RJZ", "RP4", "RRV"):
        assert f">{trust}</text>" in html
    assert "dsa-2026-0001" in html and "Region london" in html
    assert "trust-rrv -&gt; trust-rp4" in html, "the agreement's flow is drawn"
    assert "organisational" in html and "Personnel security" in html


def test_audit_renders_the_stack_itself(tmp_path):
    result = run_cli("--stack", "dev", "--out", str(tmp_path), "--as-of", AS_OF.isoformat())
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "render" / "plan.json").exists()
    assert json.loads((tmp_path / "audit.json").read_text())["summary"]["verdict"] == "pass"
    assert "evaluation" in result.stdout
