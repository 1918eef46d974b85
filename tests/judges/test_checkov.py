"""checkov, an independent scanner, agrees on workload hardening of the rendered stacks."""

from __future__ import annotations

import pytest
import yaml

pytestmark = pytest.mark.judges


def skip_reasons(manifests) -> dict[tuple[str, str], str]:
    """(object, check id) -> the written reason, from ``checkov.io/skip*`` annotations."""
    reasons = {}
    for path in manifests.rglob("*.yaml"):
        obj = yaml.safe_load(path.read_text())
        for key, value in (obj["metadata"].get("annotations") or {}).items():
            if key.startswith("checkov.io/skip"):
                check, _, reason = value.partition("=")
                reasons[(f"{obj['kind']}.{obj['metadata'].get('namespace', 'default')}.{obj['metadata']['name']}", check)] = reason
    return reasons


@pytest.mark.parametrize("stack", ["dev", "wales"])
def test_no_failed_checks_and_every_skip_has_a_reason(stack, rendered_dev, rendered_all, checkov_scan):
    rendered = rendered_dev if stack == "dev" else rendered_all[stack]
    report = checkov_scan(rendered.manifests)
    failed = [(f["check_id"], f["resource"]) for f in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["passed"] > 500, "checkov saw the workloads"
    reasons = skip_reasons(rendered.manifests)
    for skipped in report["results"]["skipped_checks"]:
        reason = reasons.get((skipped["resource"], skipped["check_id"]), "")
        assert len(reason) >= 40, f"{skipped['resource']} skips {skipped['check_id']} without a written reason"
