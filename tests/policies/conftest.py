"""Policy tests import the pack from policies/ (as Pulumi does when it runs the pack)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "policies"))
