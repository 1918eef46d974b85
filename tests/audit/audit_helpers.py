"""Helpers for the audit tests: mutate a rendered plan, audit it in-process or via the CLI."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "policies"))  # the policy fixtures' base objects

from fixture_loader import plan_entry  # noqa: E402

AS_OF = dt.date(2026, 11, 27)  # the date tests/conftest.py renders with


def provider_of(plan: dict) -> str:
    return next(r["urn"] for r in plan["resources"] if r["type"] == "pulumi:providers:kubernetes")


def add(plan: dict, spec: dict) -> dict:
    """Append a fixture object (see tests/policies/fixtures/objects.yaml) on the plan's cluster."""
    entry = plan_entry({**spec, "provider": provider_of(plan)}, len(plan["resources"]))
    plan["resources"].append(entry)
    return entry


def find(plan: dict, kind: str, namespace: str | None = None, name: str | None = None) -> dict:
    for entry in plan["resources"]:
        inputs = entry["inputs"]
        meta = inputs.get("metadata") or {}
        if inputs.get("kind") == kind and namespace in (None, meta.get("namespace")) and name in (None, meta.get("name")):
            return entry
    raise LookupError(f"{kind} {namespace}/{name}")


def audit(plan: dict, as_of: dt.date = AS_OF):
    from infra.audit.run import audit_plans

    return audit_plans([plan], as_of)


def violations(result, policy_id: str, level: str | None = None) -> list[str]:
    return [f.message for _, o, f in result.findings if o.policy.id == policy_id and level in (None, o.level)]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "infra.audit", "audit", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=900)
