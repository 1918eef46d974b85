"""Import the CrossGuard pack from ``policies/`` so the audit runs the very same rules.

The pack is a directory Pulumi runs as a program, not an installed package; putting
``policies/`` on ``sys.path`` is exactly what Pulumi does when it runs ``__main__.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"

if str(POLICIES_DIR) not in sys.path:
    sys.path.insert(0, str(POLICIES_DIR))

from imaging_policies import PACK_NAME, enforcement, registry  # noqa: E402
from imaging_policies.controls import (  # noqa: E402
    FRAMEWORKS, NCSC_ORGANISATIONAL, NCSC_PRINCIPLES, NDG_ORGANISATIONAL, NDG_STANDARDS, Control, all_controls,
)
from imaging_policies.core import Context, Policy  # noqa: E402
from imaging_policies.evaluate import Outcome, evaluate_stack, stack_from_plan  # noqa: E402
from imaging_policies.k8s import NETWORK_POLICY, peer_namespaces, peers  # noqa: E402

__all__ = [
    "PACK_NAME", "POLICIES_DIR", "enforcement", "registry", "FRAMEWORKS", "NCSC_ORGANISATIONAL", "NCSC_PRINCIPLES",
    "NDG_ORGANISATIONAL", "NDG_STANDARDS", "Control", "all_controls", "Context", "Policy", "Outcome",
    "evaluate_stack", "stack_from_plan", "NETWORK_POLICY", "peer_namespaces", "peers",
]
