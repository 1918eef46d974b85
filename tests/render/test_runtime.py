"""The offline runtime's speed settings stay safe and effective (numbers: docs/performance.md)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_sdk_still_has_the_source_position_walk_the_renderer_skips():
    # The renderer replaces a private SDK function; if an upgrade renames it, the
    # replacement would silently stop saving time. This fails first.
    out = run_python(
        "from pulumi.runtime import resource\n"
        "assert callable(resource._get_stack_trace)\n"
        "before = resource._get_stack_trace\n"
        "from infra.render.runtime import _lighten_sdk_for_offline_use\n"
        "_lighten_sdk_for_offline_use()\n"
        "print(resource._get_stack_trace is not before, len(resource._get_stack_trace().frames))\n"
    )
    assert out.split() == ["True", "0"]


def test_the_fork_server_preload_starts_no_thread_and_no_go_runtime():
    # Render workers are forked from a server that imported PRELOAD; forking a process
    # with threads or with helm-python's Go runtime loaded can deadlock the child.
    out = run_python(
        "import importlib, sys, threading\n"
        "from infra.render import PRELOAD\n"
        "for name in PRELOAD: importlib.import_module(name)\n"
        "print(threading.active_count(), 'helm_python' in sys.modules)\n"
    )
    assert out.split() == ["1", "False"]


def test_a_region_rendered_alone_leaves_only_its_own_files(render_stack, tmp_path):
    # Its national dependency is rendered into a temporary folder, not into --out.
    render_stack("wales", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifests", "plan.json"]
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["stack"] == "wales"
    # The region's StackReference was answered with the national stack's real outputs.
    reference = [r for r in plan["resources"] if r["type"] == "pulumi:pulumi:StackReference"]
    assert len(reference) == 1


def test_the_floor_registers_as_many_resources_as_the_render(rendered_dev, tmp_path):
    out = subprocess.run([sys.executable, "-m", "bench.floor", str(rendered_dev.directory / "plan.json")],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    # One more: the floor's own provider.
    assert json.loads(out.stdout)["registrations"] == len(rendered_dev.resources) + 1


def test_a_region_whose_national_stack_fails_reports_it_instead_of_waiting(tmp_path):
    # The region's worker starts beside the national one and waits for its outputs; a
    # failed national render must release it with a clear message.
    stacks = tmp_path / "stacks"
    shutil.copytree(REPO / "stacks", stacks)
    national = stacks / "Pulumi.national.yaml"
    national.write_text(national.read_text().replace("imaging-cloud:role: national", "imaging-cloud:role: bogus"))
    code = ("import json, sys; from pathlib import Path; from infra.render import render_stacks; "
            "print(json.dumps(render_stacks(['wales'], Path(sys.argv[1]))))")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "out")], cwd=REPO, capture_output=True,
                            text=True, timeout=300, env={**os.environ, "IMAGING_CLOUD_STACKS_DIR": str(stacks)})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {"wales": {"stack": "wales", "error": "not rendered: national failed"}}
