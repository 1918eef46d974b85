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


def test_render_workers_run_without_the_cycle_collector_and_with_the_sdk_heap_frozen():
    # A sixth of a region's render was the cycle collector rescanning live resources.
    out = run_python(
        "import gc\n"
        "from infra.render.runtime import _lighten_sdk_for_offline_use\n"
        "print(gc.isenabled())\n"
        "_lighten_sdk_for_offline_use()\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 0)\n"
    )
    assert out.split() == ["True", "False", "True"]


def test_every_archive_chart_is_rendering_before_the_first_object_is_registered():
    # Helm's Go code renders the charts on the other core while this one registers the
    # zones and tenancies: the stores must not wait for their charts one by one.
    out = run_python(
        "import pulumi\n"
        "from infra import helm\n"
        "from infra.render.runtime import render_program\n"
        "seen = []\n"
        "original = pulumi.CustomResource.__init__\n"
        "def first(self, *args, **kwargs):\n"
        "    if not seen and not isinstance(self, pulumi.ProviderResource): seen.append(len(helm._started))\n"
        "    original(self, *args, **kwargs)\n"
        "pulumi.CustomResource.__init__ = first\n"
        "registrations, _ = render_program('dev')\n"
        "archives = {r.name for r in registrations if r.type == 'imaging-cloud:archive:ArchiveStore'}\n"
        "print(seen[0], len(archives))\n"
    )
    started, archives = out.split()
    assert int(archives) > 1
    assert started == archives


def test_values_the_chart_refuses_stop_the_program_naming_the_release():
    # The estate model admits nothing the chart refuses; this is the guard behind it. One
    # trust's refused values stop the whole program (nothing is deployed), naming that
    # trust's namespace and the field, without a traceback.
    out = run_python(
        "import pulumi\n"
        "from infra.components import archive\n"
        "from infra.render.runtime import render_program\n"
        "original = archive.chart_values\n"
        "def one_refused(args):\n"
        "    values = original(args)\n"
        "    if args.trust.ods_code == 'RJ1':\n"
        "        values['securityContext'] = {'runAsUser': 0}\n"
        "    return values\n"
        "archive.chart_values = one_refused\n"
        "try:\n"
        "    render_program('dev')\n"
        "except pulumi.RunError as failure:\n"
        "    print(failure)\n"
    )
    assert out.startswith("invalid chart values, nothing was deployed:\n"), out
    assert "charts/vna-archive, release vna-archive in namespace trust-rj1:" in out
    assert "/securityContext/runAsUser" in out and "Traceback" not in out


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


def floor(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.floor", *args], cwd=REPO, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_flat_floor_registers_as_many_resources_as_the_render(rendered_dev):
    # One more: the flat floor's own provider.
    assert floor(str(rendered_dev.directory / "plan.json"))["registrations"] == len(rendered_dev.resources) + 1


def test_the_graph_floor_sends_the_engine_the_render_s_parents_dependencies_and_options(rendered_dev):
    result = floor("--graph", str(rendered_dev.directory / "plan.json"))
    assert result["registrations"] == len(rendered_dev.resources)
    assert result["differences"] == []


def test_the_floor_stack_by_stack_registers_every_plan_in_a_process_of_its_own(rendered_dev, rendered_all):
    plans = [str(rendered_dev.directory / "plan.json"), str(rendered_all["wales"].directory / "plan.json")]
    result = floor("--graph", "--per-stack", *plans)
    assert result["registrations"] == len(rendered_dev.resources) + len(rendered_all["wales"].resources)
    assert result["differences"] == [] and result["shape"] == "graph, per stack"


def test_the_floor_s_comparison_sees_a_wrong_parent_or_a_lost_dependency(rendered_dev):
    from bench.floor import graph_differences
    from infra.render.runtime import Registration

    resources = [r for r in rendered_dev.resources if r["custom"] and r["parent"] and r["options"]["dependsOn"]][:1]
    entry = resources[0]

    def registered(**changes) -> Registration:
        options = entry["options"]
        fields = dict(urn=entry["urn"].rsplit("::", 1)[0] + "::r0", type=entry["type"], name="r0",
                      custom=entry["custom"], parent=entry["parent"], provider=f"{entry['provider']}::id",
                      inputs={}, protect=options["protect"], retain_on_delete=options["retainOnDelete"],
                      delete_before_replace=options["deleteBeforeReplace"], depends_on=list(options["dependsOn"]),
                      ignore_changes=[], replace_on_changes=[], deleted_with="")
        return Registration(**{**fields, **changes})

    assert graph_differences(resources, [registered()]) == []
    assert graph_differences(resources, [registered(depends_on=[])])[0].endswith(f"!= {entry['options']['dependsOn']!r}")
    assert "parent" in graph_differences(resources, [registered(parent="urn:pulumi:x::y::pulumi:pulumi:Stack::y")])[0]
    assert "protect" in graph_differences(resources, [registered(protect=not entry["options"]["protect"])])[0]


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
