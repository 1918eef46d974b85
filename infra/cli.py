"""``imaging-cloud``: validate, render and audit the estate without a cloud.

Exit codes: 0 success, 1 policy violations (audit), 2 invalid input. Invalid input is
reported as ``file:line: field: message`` lines, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

# Everything else is imported where it is used: the render workers' fork server starts
# first (see main), and these imports would delay it by ~0.4 s.

EXIT_INVALID = 2


def _resolve_stacks(stack: str) -> list[str]:
    from infra.stackgraph import production_stacks, stack_names

    if stack == "all":
        return production_stacks()
    if stack not in stack_names():
        raise SystemExit(
            f"stacks/Pulumi.{stack}.yaml: no such stack (known: all, {', '.join(stack_names())})"
        )
    return [stack]


def cmd_validate(args: argparse.Namespace) -> int:
    from infra.model.loader import EstateLoadError, load_estate
    from infra.settings import StackSettingsError, read_stack_settings

    failures = 0
    for stack in _resolve_stacks(args.stack):
        try:
            settings = read_stack_settings(stack)
            estate = load_estate(settings.estate_dir)
            if settings.region is not None and settings.region not in {r.name for r in estate.regions}:
                raise StackSettingsError(
                    f"stacks/Pulumi.{stack}.yaml: config.imaging-cloud:region: unknown region {settings.region!r}"
                )
        except (StackSettingsError, EstateLoadError) as failure:
            print(f"{stack}: invalid\n{failure}", file=sys.stderr)
            failures += 1
            continue
        trusts = estate.trusts_in(settings.region) if settings.region else estate.trusts
        print(f"{stack}: valid ({settings.role}; {len(estate.regions)} regions, {len(trusts)} trusts in scope, "
              f"{len(estate.sharing_agreements)} sharing agreements)")
    return EXIT_INVALID if failures else 0


def _print_summary(result: dict) -> None:
    if "error" in result:
        print(f"{result['stack']}: FAILED\n{result['error']}", file=sys.stderr)
        return
    summary = result["summary"]
    print(f"{result['stack']}: {summary['resources']} resources, {summary['kubernetesObjects']} Kubernetes objects, "
          f"{len(summary['trusts'])} trusts, clusters: {', '.join(summary['clusters'])}, "
          f"{summary['protected']} protected")


def print_summary_table(result: dict) -> None:
    summary = result["summary"]
    print(f"\nStack {result['stack']}")
    print(f"  clusters: {', '.join(summary['clusters'])}")
    print(f"  trusts ({len(summary['trusts'])}): {', '.join(summary['trusts'])}")
    print("  resources by kind:")
    for kind, count in summary["byKind"].items():
        print(f"    {count:6d}  {kind}")


def cmd_render(args: argparse.Namespace) -> int:
    from infra.render import render_stacks

    stacks = _resolve_stacks(args.stack)
    for stack in stacks:  # fail fast, before rendering
        if cmd_validate(argparse.Namespace(stack=stack)) != 0:
            return EXIT_INVALID
    overrides = {"asOf": args.as_of} if args.as_of else {}
    started = time.perf_counter()
    results = render_stacks(stacks, Path(args.out), overrides, jobs=args.jobs, progress=_print_summary,
                            profile=Path(args.profile) if args.profile else None)
    elapsed = time.perf_counter() - started
    failed = [r for r in results.values() if "error" in r]
    if not failed and args.summary:
        for result in results.values():
            print_summary_table(result)
    print(f"rendered {len(results) - len(failed)}/{len(results)} stacks into {args.out} in {elapsed:.1f}s")
    return EXIT_INVALID if failed else 0


def cmd_schema(args: argparse.Namespace) -> int:
    from infra.model.schemas import write_schemas
    from infra.settings import STACKS_DIR

    for path in write_schemas(Path(args.out) if args.out else STACKS_DIR / "schemas"):
        print(path)
    return 0


def cmd_order(args: argparse.Namespace) -> int:
    from infra.stackgraph import deployment_waves, production_stacks

    print(json.dumps(deployment_waves(production_stacks()), indent=1))
    return 0


def cmd_guard(args: argparse.Namespace) -> int:
    """Fail when a render would replace or delete a data-holding resource."""
    import tempfile

    from infra import guards
    from infra.render import render_stacks

    stacks = _resolve_stacks(args.stack)
    with tempfile.TemporaryDirectory() as tmp:
        overrides = {"asOf": args.as_of} if args.as_of else {}
        results = render_stacks(stacks, Path(tmp), overrides, jobs=args.jobs)
        failed = 0
        for stack, result in results.items():
            if "error" in result:
                print(f"{stack}: FAILED\n{result['error']}", file=sys.stderr)
                return EXIT_INVALID
            directory = Path(tmp) if len(stacks) == 1 else Path(tmp) / stack
            plan = json.loads((directory / "plan.json").read_text())
            if args.update:
                print(f"{stack}: baseline written to {guards.write_baseline(stack, plan)}")
                continue
            problems = guards.check_against_baseline(stack, plan)
            count = len(guards.data_holding(plan))
            if problems:
                failed += 1
                print(f"{stack}: {len(problems)} data-holding resources at risk", file=sys.stderr)
                for problem in problems:
                    print(f"  {problem}", file=sys.stderr)
            else:
                print(f"{stack}: {count} data-holding resources, none replaced or deleted")
    return 1 if failed else 0


def cmd_affected(args: argparse.Namespace) -> int:
    from infra.stackgraph import affected_stacks, deployment_waves

    affected = affected_stacks(args.files)
    print(json.dumps({"stacks": affected, "waves": deployment_waves(affected) if affected else []}))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imaging-cloud", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    validate = sub.add_parser("validate", help="validate stack config and estate data")
    validate.add_argument("--stack", required=True, help="stack name, or 'all' for every production stack")
    validate.set_defaults(func=cmd_validate)

    render = sub.add_parser("render", help="render a stack offline: manifests + plan.json")
    render.add_argument("--stack", required=True)
    render.add_argument("--out", required=True)
    render.add_argument("--as-of", help="date on which sharing agreements must be live (default today)",
                        type=lambda s: dt.date.fromisoformat(s).isoformat())
    render.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores)")
    render.add_argument("--summary", action="store_true", help="print resources by kind, trusts, clusters")
    render.add_argument("--profile", metavar="DIR", help="profile each stack's worker with pyinstrument "
                        "(pip install -e '.[bench]'): DIR/<stack>.html and .txt")
    render.set_defaults(func=cmd_render, renders=True)

    schema = sub.add_parser("schema", help="export JSON schemas of the estate files")
    schema.add_argument("--out", help="default: stacks/schemas")
    schema.set_defaults(func=cmd_schema)

    order = sub.add_parser("order", help="print the production stacks in deployment waves")
    order.set_defaults(func=cmd_order)

    guard = sub.add_parser("guard", help="fail if a change would replace or delete data-holding resources")
    guard.add_argument("--stack", required=True)
    guard.add_argument("--update", action="store_true", help="write the baselines (deliberate, reviewed)")
    guard.add_argument("--as-of", type=lambda s: dt.date.fromisoformat(s).isoformat())
    guard.add_argument("--jobs", type=int, default=None)
    guard.set_defaults(func=cmd_guard, renders=True)

    from infra.audit import add_audit_parser

    add_audit_parser(sub)

    affected = sub.add_parser("affected", help="production stacks a set of changed files can alter (JSON)")
    affected.add_argument("files", nargs="*")
    affected.set_defaults(func=cmd_affected)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "renders", False):
        from infra.render import start_workers

        start_workers()  # the fork server imports the SDK (~2 s) while this process validates
    try:
        return args.func(args)
    except SystemExit as failure:
        if isinstance(failure.code, str):
            print(failure.code, file=sys.stderr)
            return EXIT_INVALID
        raise


if __name__ == "__main__":
    sys.exit(main())
