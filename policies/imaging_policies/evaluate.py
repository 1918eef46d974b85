"""Run the policies on a rendered stack (``plan.json``), without the Pulumi engine.

This is the offline half of "same rules, two engines": each resource check runs on every
managed resource of the kinds it applies to, each stack check once on the whole stack,
exactly the functions the CrossGuard pack hands to pulumi-policy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from imaging_policies.core import Context, NotApplicable, Policy, Resource, Stack


@dataclasses.dataclass(frozen=True)
class Finding:
    policy: str
    urn: str | None
    resource: str
    message: str


@dataclasses.dataclass
class Outcome:
    """What one policy concluded about one stack.

    ``status``: ``pass`` (checked something, found nothing), ``fail``, ``not-applicable``
    (nothing of its kind in the stack, with the reason), ``disabled``, or ``error`` (the
    check itself raised; reported as a failure so a broken rule is never silent).
    """

    policy: Policy
    level: str
    status: str
    checked: int = 0
    findings: list[Finding] = dataclasses.field(default_factory=list)
    reason: str = ""

    @property
    def blocking(self) -> bool:
        return self.level == "mandatory" and self.status in ("fail", "error")


def resource_from_plan(entry: Mapping[str, Any]) -> Resource:
    options = entry.get("options") or {}
    return Resource(
        entry["urn"], entry["type"], entry.get("name", ""), entry.get("inputs") or {},
        protect=bool(options.get("protect")),
        retain_on_delete=bool(options.get("retainOnDelete")),
        provider=entry.get("provider"),
        parent=entry.get("parent"),
        custom=bool(entry.get("custom", True)),
        read="read" in entry,
        secrets_marked=True,
    )


def stack_from_plan(plan: Mapping[str, Any]) -> Stack:
    return Stack((resource_from_plan(e) for e in plan.get("resources", [])), name=str(plan.get("stack", "")))


def _run_resource_policy(policy: Policy, stack: Stack, ctx: Context, outcome: Outcome) -> None:
    reasons = set()
    for resource in stack.objects(*sorted(policy.applies_to)):
        if not resource.custom:
            continue
        try:
            messages = list(policy.resource_check(resource, ctx))
        except NotApplicable as skipped:
            reasons.add(skipped.reason)
            continue
        outcome.checked += 1
        outcome.findings += [Finding(policy.id, resource.urn, resource.display, m) for m in messages]
    if not outcome.checked:
        outcome.status = "not-applicable"
        kinds = ", ".join(sorted(k.split(".")[0] for k in policy.applies_to))
        outcome.reason = "; ".join(sorted(reasons)) or f"no {kinds} in this stack"


def _run_stack_policy(policy: Policy, stack: Stack, ctx: Context, outcome: Outcome) -> None:
    try:
        found = list(policy.stack_check(stack, ctx))
    except NotApplicable as skipped:
        outcome.status, outcome.reason = "not-applicable", skipped.reason
        return
    outcome.checked = 1
    for message, urn in found:
        target = stack.by_urn.get(urn) if urn else None
        outcome.findings.append(Finding(policy.id, urn, target.display if target else f"stack {stack.name}", message))


def evaluate_stack(stack: Stack, policies: Iterable[Policy], levels: Mapping[str, str], ctx: Context) -> list[Outcome]:
    """One :class:`Outcome` per policy, in the order given."""
    outcomes = []
    for policy in policies:
        outcome = Outcome(policy, levels.get(policy.id, "advisory"), "pass")
        if outcome.level == "disabled":
            outcome.status = "disabled"
            outcomes.append(outcome)
            continue
        try:
            if policy.kind == "resource":
                _run_resource_policy(policy, stack, ctx, outcome)
            else:
                _run_stack_policy(policy, stack, ctx, outcome)
        except Exception as error:  # noqa: BLE001 - a broken rule must show, not stop the audit
            outcome.status = "error"
            outcome.findings.append(Finding(policy.id, None, f"stack {stack.name}",
                                            f"the policy itself failed: {type(error).__name__}: {error}"))
        if outcome.status == "pass" and outcome.findings:
            outcome.status = "fail"
        outcomes.append(outcome)
    return outcomes
