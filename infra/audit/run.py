"""``imaging-cloud audit``: the policy pack, offline, on a stack or a saved plan.

What it reads and writes: ``infra.audit.arguments.DESCRIPTION``.

Exit codes: 0 no mandatory violation, 1 a mandatory policy is violated, 2 invalid input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

from infra.audit.arguments import add_audit_parser
from infra.audit.estate import estate_from_stacks
from infra.audit.pack import Context, enforcement, evaluate_stack, registry, stack_from_plan
from infra.audit.report import AuditResult, audit_document, html_report, markdown_report

EXIT_INVALID = 2


class AuditInputError(Exception):
    """The audit cannot start (unknown stack, unreadable plan, bad selector)."""


def _levels(pairs: list[str]) -> dict[str, str]:
    levels = {}
    known = {p.id for p in registry.all_policies()}
    for pair in pairs:
        policy_id, sep, level = pair.partition("=")
        if not sep or policy_id not in known:
            raise AuditInputError(f"--level {pair}: expected POLICY=LEVEL with a known policy id")
        levels[policy_id] = level
    return levels


def _read_plan(path: Path) -> dict[str, Any]:
    try:
        plan = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise AuditInputError(f"{path}: not a readable plan.json ({error})") from None
    if not isinstance(plan, dict) or not isinstance(plan.get("resources"), list):
        raise AuditInputError(f"{path}: not a plan.json (no 'resources' list)")
    return plan


def load_plans(target: Path) -> list[dict[str, Any]]:
    """A plan.json, a directory holding one, or a directory of ``<stack>/plan.json``."""
    if target.is_file():
        return [_read_plan(target)]
    if (target / "plan.json").is_file():
        return [_read_plan(target / "plan.json")]
    found = sorted(target.glob("*/plan.json")) if target.is_dir() else []
    if not found:
        raise AuditInputError(f"{target}: no plan.json (give a file, or a directory rendered by imaging-cloud render)")
    return [_read_plan(p) for p in found]


def render_for_audit(stack: str, out: Path, as_of: str | None, jobs: int | None) -> list[dict[str, Any]]:
    """Render like ``imaging-cloud render`` into ``out/render`` and return the plans."""
    from infra.render import render_stacks
    from infra.stackgraph import production_stacks, stack_names

    if stack == "all":
        stacks = production_stacks()
    elif stack in stack_names():
        stacks = [stack]
    else:
        raise AuditInputError(f"stacks/Pulumi.{stack}.yaml: no such stack (known: all, {', '.join(stack_names())})")
    target = out / "render"
    results = render_stacks(stacks, target, {"asOf": as_of} if as_of else {}, jobs=jobs)
    failed = [r for r in results.values() if "error" in r]
    if failed:
        raise AuditInputError("\n".join(f"{r['stack']}: {r['error']}" for r in failed))
    return [_read_plan(target / "plan.json" if len(stacks) == 1 else target / s / "plan.json") for s in stacks]


def audit_plans(plans: list[dict[str, Any]], as_of: dt.date, min_severity: str | None = None,
                levels: dict[str, str] | None = None) -> AuditResult:
    """Evaluate the pack on each plan; nothing is written."""
    started = time.perf_counter()
    policies = registry.all_policies()
    config = enforcement.load(known_ids=[p.id for p in policies]).with_selectors(min_severity, levels)
    resolved = config.levels(policies)
    ctx = Context(as_of=as_of)
    stacks, outcomes, sizes = [], {}, {}
    for index, plan in enumerate(plans):
        stack = stack_from_plan(plan)
        name = stack.name or f"plan-{index}"
        stacks.append(stack)
        outcomes[name] = evaluate_stack(stack, policies, resolved, ctx)
        sizes[name] = len(stack.resources)
    estate = estate_from_stacks(stacks, as_of)
    result = AuditResult(as_of.isoformat(), outcomes, sizes, policies, resolved, dict(config.reasons), estate)
    result.seconds = time.perf_counter() - started
    return result


def write_reports(result: AuditResult, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "audit.json").write_text(json.dumps(audit_document(result), indent=1) + "\n", encoding="utf-8")
    (out / "report.md").write_text(markdown_report(result), encoding="utf-8")
    (out / "report.html").write_text(html_report(result), encoding="utf-8")


def _print_summary(result: AuditResult, out: Path) -> None:
    for stack, outcomes in result.stacks.items():
        counts: dict[str, int] = {}
        for outcome in outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        blocking = sum(len(o.findings) for o in outcomes if o.blocking)
        advisory = sum(len(o.findings) for o in outcomes if not o.blocking)
        print(f"{stack}: {result.resources[stack]} resources, {blocking} mandatory / {advisory} advisory violations "
              f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})")
    for stack, outcome, finding in result.findings:
        if outcome.blocking:
            print(f"  MANDATORY {outcome.policy.id} [{stack}] {finding.resource}: {finding.message}", file=sys.stderr)


def cmd_audit(args: argparse.Namespace) -> int:
    out = Path(args.out)
    try:
        levels = _levels(args.level)
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else dt.date.today()
        render_started = time.perf_counter()
        if args.stack:
            plans = render_for_audit(args.stack, out, args.as_of, args.jobs)
        else:
            plans = load_plans(Path(args.plan))
        rendered = time.perf_counter() - render_started
        result = audit_plans(plans, as_of, args.min_severity, levels)
    except (AuditInputError, enforcement.EnforcementError) as failure:
        print(f"audit: invalid input\n{failure}", file=sys.stderr)
        return EXIT_INVALID
    write_reports(result, out)
    _print_summary(result, out)
    verdict = "FAIL: mandatory policies violated" if result.exit_code else "pass"
    render_note = f"render {rendered:.1f}s, " if args.stack else ""
    print(f"audit {verdict}; {render_note}evaluation {result.seconds:.2f}s; report: {out / 'report.html'}")
    return result.exit_code


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m infra.audit``) until the CLI hook lands."""
    parser = argparse.ArgumentParser(prog="imaging-cloud")
    add_audit_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)
