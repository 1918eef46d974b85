"""docs/controls.md is generated from the policy metadata and must not go stale."""

from __future__ import annotations

from infra.audit import controls_doc
from infra.audit.pack import NCSC_ORGANISATIONAL, registry


def test_committed_catalogue_is_current():
    assert controls_doc.DOC.read_text(encoding="utf-8") == controls_doc.render(), (
        "docs/controls.md is stale: run python -m infra.audit.controls_doc"
    )
    assert controls_doc.main(["--check"]) == 0


def test_catalogue_states_automated_and_organisational_principles():
    text = controls_doc.render()
    for ref in NCSC_ORGANISATIONAL:
        assert f"| {ref}. " in text and "| organisational |" in text
    for policy in registry.all_policies():
        assert f"### {policy.id}" in text
