"""The ``audit`` sub-command's arguments, kept apart from the audit itself.

Building the CLI's parser must stay cheap: ``imaging-cloud render`` starts its render
workers right after parsing, and importing the policy pack first (~0.3 s) would delay
every render. The audit's code is imported only when ``audit`` runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

SEVERITIES = ("low", "medium", "high", "critical")

DESCRIPTION = """\
``--stack S`` renders S (``all``: every production stack) exactly as ``imaging-cloud
render`` does, then evaluates every policy on every resource and on the whole stack;
``--plan FILE`` evaluates a saved ``plan.json`` (or a directory of rendered stacks).
Writes ``audit.json``, ``report.md`` and ``report.html`` into ``--out``."""


def iso_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _run_audit(args: argparse.Namespace) -> int:
    from infra.audit.run import cmd_audit

    return cmd_audit(args)


def add_audit_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``audit`` on the ``imaging-cloud`` sub-command parser."""
    audit = subparsers.add_parser(
        "audit",
        help="evaluate the policy pack offline: a stack (rendered first) or a saved plan.json",
        description=DESCRIPTION,
    )
    source = audit.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="stack to render and audit, or 'all' for every production stack")
    source.add_argument("--plan", help="a rendered plan.json, or a directory of rendered stacks")
    audit.add_argument("--out", required=True, help="directory for audit.json, report.md, report.html")
    audit.add_argument("--as-of", type=iso_date, help="date on which sharing agreements must be live (default today)")
    audit.add_argument("--min-severity", choices=SEVERITIES, help="disable the policies below this severity")
    audit.add_argument("--level", action="append", default=[], metavar="POLICY=LEVEL",
                       help="override a policy's level (advisory, mandatory, disabled); repeatable")
    audit.add_argument("--jobs", type=int, default=None, help="render worker processes (default: cores)")
    audit.set_defaults(func=_run_audit)
    return audit
