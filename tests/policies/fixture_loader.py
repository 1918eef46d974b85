"""Turns the YAML policy fixtures into plan entries, and runs a policy both ways.

A fixture file ``fixtures/<family>/<policy-id>.yaml`` lists cases, each with the expected
result written down (``expect: pass | fail | not-applicable``, and for failures a
``message`` fragment). ``run_offline`` evaluates a case exactly as ``imaging-cloud audit``
does; ``run_engine`` through the pulumi-policy objects that ``policies/__main__.py`` hands
to the engine.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "policies"))

from imaging_policies import registry  # noqa: E402
from imaging_policies.core import Context  # noqa: E402
from imaging_policies.evaluate import evaluate_stack, stack_from_plan  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OBJECTS = yaml.safe_load((FIXTURES / "objects.yaml").read_text())
PROVIDER = "urn:pulumi:test::imaging-cloud::pulumi:providers:kubernetes::k8s-test"
DEFAULT_AS_OF = dt.date(2026, 11, 27)
_TOKEN = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]|\['([^']+)'\]")


def _steps(path: str) -> list[str | int]:
    steps: list[str | int] = []
    for name, index, quoted in _TOKEN.findall(path):
        steps.append(int(index) if index else (quoted or name))
    return steps


def _apply(target: Any, steps: list[str | int], value: Any, delete: bool) -> Any:
    """Set (or delete) ``steps`` in ``target``; descends into JSON strings; returns the new target."""
    if isinstance(target, str):
        return json.dumps(_apply(json.loads(target), steps, value, delete), indent=1)
    head, rest = steps[0], steps[1:]
    if not rest:
        if delete:
            del target[head]
        elif isinstance(target, list) and head == len(target):
            target.append(value)  # one past the end appends
        else:
            target[head] = value
        return target
    if isinstance(target, dict) and head not in target:
        target[head] = {}
    target[head] = _apply(target[head], rest, value, delete)
    return target


def _type_of(obj: dict[str, Any]) -> str:
    api, kind = obj["apiVersion"], obj["kind"]
    module = api if "/" in api else f"core/{api}"
    return f"kubernetes:{module}:{kind}"


def plan_entry(spec: dict[str, Any], index: int = 0) -> dict[str, Any]:
    """A plan.json resource from a fixture entry (a base object and its changes, or literal)."""
    spec = copy.deepcopy(spec)
    if "base" in spec:
        entry = copy.deepcopy(OBJECTS[spec["base"]])
    else:
        entry = {k: v for k, v in spec.items() if k not in ("set", "delete")}
    if "inputs" not in entry:
        entry = {"inputs": entry}
    for path, value in (spec.get("set") or {}).items():
        entry["inputs"] = _apply(entry["inputs"], _steps(path), value, False)
    for path in spec.get("delete") or []:
        entry["inputs"] = _apply(entry["inputs"], _steps(path), None, True)
    if "base" in spec:
        entry.update({key: spec[key] for key in ("options", "type", "name", "provider") if key in spec})
    inputs = entry["inputs"]
    resource_type = entry.get("type") or _type_of(inputs)
    meta = inputs.get("metadata") or {}
    name = entry.get("name") or "-".join(filter(None, [meta.get("namespace"), meta.get("name"), str(index)]))
    options = {"protect": False, "retainOnDelete": False, **(entry.get("options") or {})}
    return {
        "urn": f"urn:pulumi:test::imaging-cloud::{resource_type}::{name}",
        "type": resource_type, "name": name, "custom": True, "parent": None,
        "provider": entry.get("provider", PROVIDER), "options": options, "inputs": inputs,
    }


def load_cases() -> list[tuple[str, str, dict[str, Any]]]:
    """(policy id, case name, case) for every case of every fixture file."""
    cases = []
    for path in sorted(FIXTURES.glob("*/*.yaml")):
        document = yaml.safe_load(path.read_text())
        assert document["policy"] == path.stem, f"{path}: policy must be {path.stem}"
        for case in document["cases"]:
            cases.append((document["policy"], case["name"], case))
    return cases


def case_entries(case: dict[str, Any]) -> list[dict[str, Any]]:
    items = case.get("resources") or [case["resource"]]
    return [plan_entry(item, i) for i, item in enumerate(items)]


def run_offline(policy_id: str, case: dict[str, Any]) -> tuple[str, list[str]]:
    """(status, messages) as the audit computes them."""
    policy = registry.policy(policy_id)
    as_of = dt.date.fromisoformat(str(case.get("as_of", DEFAULT_AS_OF)))
    stack = stack_from_plan({"stack": "test", "resources": case_entries(case)})
    (outcome,) = evaluate_stack(stack, [policy], {policy_id: "mandatory"}, Context(as_of=as_of))
    return outcome.status, [f.message for f in outcome.findings]


def run_engine(policy_id: str, case: dict[str, Any]) -> tuple[str, list[str]]:
    """(status, messages) through pulumi-policy's own argument objects."""
    import os

    import pulumi_policy as pp
    from pulumi_policy.policy import _NotApplicableError
    from pulumi_policy.proxy import unknown_checking_proxy

    from imaging_policies.engine import crossguard_policies

    policy = registry.policy(policy_id)
    (wrapped,) = crossguard_policies([policy], {policy_id: "mandatory"})
    entries = case_entries(case)
    as_of = str(case.get("as_of", DEFAULT_AS_OF))
    os.environ["PULUMI_CONFIG"] = json.dumps({"imaging-cloud:asOf": as_of})
    messages: list[str] = []
    report = lambda message, urn=None: messages.append(message)  # noqa: E731

    def options(entry):
        return pp.PolicyResourceOptions(entry["options"]["protect"], [], None, [], pp.PolicyCustomTimeouts(0, 0, 0), [])

    def provider(entry):
        return pp.PolicyProviderResource("pulumi:providers:kubernetes", {}, entry["provider"], "k8s-test")

    not_applicable = 0
    try:
        if policy.kind == "resource":
            for entry in entries:
                args = pp.ResourceValidationArgs(
                    entry["type"], unknown_checking_proxy(copy.deepcopy(entry["inputs"])), entry["urn"], entry["name"],
                    options(entry), provider(entry),
                )
                try:
                    wrapped.validate(args, report)
                except _NotApplicableError:
                    not_applicable += 1
            applicable = [e for e in entries if stack_from_plan({"resources": [e]}).resources[0].gk in policy.applies_to]
            if not messages and (not applicable or not_applicable == len(applicable)):
                return "not-applicable", []
        else:
            resources = [
                pp.PolicyResource(e["type"], unknown_checking_proxy(copy.deepcopy(e["inputs"])), e["urn"], e["name"],
                                  options(e), provider(e), None, [], {})
                for e in entries
            ]
            wrapped.validate(pp.StackValidationArgs(resources), report)
    except _NotApplicableError:
        return "not-applicable", []
    finally:
        os.environ.pop("PULUMI_CONFIG", None)
    return ("fail" if messages else "pass"), messages
