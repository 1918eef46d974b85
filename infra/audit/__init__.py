"""Offline policy audit: the CrossGuard pack (policies/) run on rendered stacks.

Hook into the CLI with :func:`add_audit_parser` (cheap: the pack is imported only when
``audit`` runs); ``python -m infra.audit audit ...`` works stand-alone.
"""

from infra.audit.arguments import add_audit_parser

__all__ = ["add_audit_parser"]
