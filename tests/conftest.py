"""Shared fixtures: rendered stacks are produced once per session by the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: Fixed date for renders in tests, so agreement liveness does not drift with the clock.
AS_OF = "2026-11-27"


class RenderedStack:
    """A stack rendered by ``imaging-cloud render`` into a directory."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.plan = json.loads((directory / "plan.json").read_text())
        self.manifests = directory / "manifests"

    @property
    def resources(self) -> list[dict]:
        return self.plan["resources"]

    def objects(self, kind: str | None = None, namespace: str | None = None) -> list[dict]:
        found = []
        for r in self.resources:
            inputs = r["inputs"]
            if not (r["custom"] and r["type"].startswith("kubernetes:") and "kind" in inputs and "read" not in r):
                continue
            if kind and inputs["kind"] != kind:
                continue
            if namespace and inputs.get("metadata", {}).get("namespace") != namespace:
                continue
            found.append(inputs)
        return found


def render(stack: str, out: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli", "render", "--stack", stack, "--out", str(out), "--as-of", AS_OF],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr + result.stdout


@pytest.fixture(scope="session")
def rendered_dev(tmp_path_factory) -> RenderedStack:
    out = tmp_path_factory.mktemp("render-dev")
    render("dev", out)
    return RenderedStack(out)


@pytest.fixture(scope="session")
def rendered_all(tmp_path_factory) -> dict[str, RenderedStack]:
    out = tmp_path_factory.mktemp("render-all")
    render("all", out)
    return {p.name: RenderedStack(p) for p in sorted(out.iterdir()) if (p / "plan.json").exists()}


@pytest.fixture(scope="session")
def render_stack():
    """The CLI render, as a fixture (conftest modules are not importable by name)."""
    return render
