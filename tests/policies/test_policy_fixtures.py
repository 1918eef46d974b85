"""Every policy against its fixtures, offline (as the audit runs it) and through pulumi-policy.

The fixtures (fixtures/<family>/<policy-id>.yaml) write down the expected result of each
case; a failing case also names a fragment of the message, so a rule that fails for the
wrong reason, or whose message stops naming the field to fix, fails here.
"""

from __future__ import annotations

import pytest

from fixture_loader import load_cases, run_engine, run_offline
from imaging_policies import registry

CASES = load_cases()


@pytest.mark.parametrize(("policy_id", "name", "case"), CASES, ids=[f"{p}: {n}" for p, n, _ in CASES])
def test_offline(policy_id, name, case):
    status, messages = run_offline(policy_id, case)
    assert status == case["expect"], messages
    if case["expect"] == "fail":
        assert any(case["message"] in m for m in messages), f"{case['message']!r} not in {messages}"
    else:
        assert not messages


@pytest.mark.parametrize(("policy_id", "name", "case"), CASES, ids=[f"{p}: {n}" for p, n, _ in CASES])
def test_engine(policy_id, name, case):
    """The same case through the objects policies/__main__.py gives the engine."""
    expected = case.get("engine", case["expect"])
    status, messages = run_engine(policy_id, case)
    assert status == expected, messages
    if expected == "fail":
        assert any(case["message"] in m for m in messages), f"{case['message']!r} not in {messages}"


def test_every_policy_has_a_passing_and_a_failing_case():
    by_policy: dict[str, set[str]] = {}
    for policy_id, _, case in CASES:
        by_policy.setdefault(policy_id, set()).add(case["expect"])
    for policy in registry.all_policies():
        assert {"pass", "fail"} <= by_policy.get(policy.id, set()), f"{policy.id} needs pass and fail fixtures"


def test_fixture_files_mirror_the_policy_tree():
    from fixture_loader import FIXTURES

    files = {(p.parent.name, p.stem) for p in FIXTURES.glob("*/*.yaml")}
    assert files == {(p.family, p.id) for p in registry.all_policies()}
