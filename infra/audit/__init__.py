"""Offline policy audit: the CrossGuard pack (policies/) run on rendered stacks.

Hook into the CLI with :func:`add_audit_parser`; ``python -m infra.audit audit ...`` works
stand-alone.
"""

from infra.audit.run import add_audit_parser, cmd_audit

__all__ = ["add_audit_parser", "cmd_audit"]
