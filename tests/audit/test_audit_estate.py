"""The whole production estate: clean, and fast enough to audit on every change."""

from __future__ import annotations

import json

from audit_helpers import AS_OF, run_cli


def test_every_production_stack_passes_quickly(rendered_all, tmp_path):
    directory = next(iter(rendered_all.values())).directory.parent
    result = run_cli("--plan", str(directory), "--out", str(tmp_path), "--as-of", AS_OF.isoformat())
    assert result.returncode == 0, result.stderr
    audit = json.loads((tmp_path / "audit.json").read_text())
    assert sorted(audit["stacks"]) == sorted(rendered_all)
    assert audit["summary"]["resources"] > 3000
    assert audit["summary"]["seconds"] < 10, "the national estate audits in well under 20 s"
    results = {(r["stack"], r["policy"]): r for r in audit["results"]}
    assert results[("national", "data-resources-protected")]["status"] == "pass"
    assert results[("national", "workload-clusters-audit-policy")]["checked"] == 8
    cross = audit["estate"]["crossTrustFlows"]
    assert cross and all(f["category"] == "agreement" and f["agreement"] for f in cross)
    assert {a["id"] for a in audit["estate"]["agreements"]} >= {"dsa-2026-0001", "dsa-2026-0004"}
    html = (tmp_path / "report.html").read_text()
    clusters = [c for c in audit["estate"]["clusters"] if c["role"] == "workload"]
    assert len(clusters) == 8
    for cluster in clusters:
        assert f"<h3>Cluster {cluster['name']}</h3>" in html, "one connectivity matrix per workload cluster"
    assert html.count("<svg") == 1 + 8 + 1, "the estate map, the workload clusters and the management cluster"
