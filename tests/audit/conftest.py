"""Fixtures of the audit tests (helpers live in audit_helpers.py)."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def dev_plan(rendered_dev) -> dict:
    """A private copy of the dev render's plan, free to mutate."""
    return copy.deepcopy(rendered_dev.plan)


@pytest.fixture
def write_plan(tmp_path):
    def write(plan: dict) -> Path:
        path = tmp_path / "plan.json"
        path.write_text(json.dumps(plan))
        return path
    return write
