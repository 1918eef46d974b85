"""Offline rendering: the same Pulumi program under the mock runtime, written to disk."""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra.stackgraph import dependencies, deployment_waves

#: Imported once by the fork server; every render worker is forked from it with these
#: already loaded (the SDK's lazily loaded Kubernetes modules alone cost ~2 s a process).
#: Nothing here may start a thread or load helm-python's Go runtime: forking either is
#: unsafe, so charts are loaded in the worker (infra.helm imports helm_python lazily).
PRELOAD = [
    "infra.program",
    "infra.stacks.dev",
    "infra.stacks.national",
    "infra.stacks.region",
    "infra.render.runtime",
    "infra.render.writer",
    "pulumi_kubernetes.apiextensions",
    "pulumi_kubernetes.apps.v1",
    "pulumi_kubernetes.batch.v1",
    "pulumi_kubernetes.core.v1",
    "pulumi_kubernetes.helm.v3",
    "pulumi_kubernetes.meta.v1",
    "pulumi_kubernetes.networking.v1",
    "pulumi_kubernetes.policy.v1",
    "pulumi_kubernetes.rbac.v1",
    "pulumi_kubernetes.storage.v1",
]


class RenderError(Exception):
    """The program refused its input (the message names file and field)."""


def _render_one(stack: str, out_dir: str, national_outputs: dict | None, overrides: dict[str, str]) -> dict[str, Any]:
    import pulumi

    from infra.render.runtime import render_program
    from infra.render.writer import write_stack

    try:
        registrations, outputs = render_program(stack, national_outputs, overrides)
    except pulumi.RunError as failure:
        return {"stack": stack, "error": str(failure)}
    except FileNotFoundError as failure:
        return {"stack": stack, "error": str(failure)}
    plan = write_stack(Path(out_dir), stack, registrations, outputs)
    return {"stack": stack, "summary": plan["summary"], "outputs": outputs["values"]}


def _largest_first(wave: list[str]) -> list[str]:
    """Order a wave so the biggest stacks start first (their trust count predicts their
    size): with two workers and eight regions, the last one to start is a small one."""
    from infra.model.loader import EstateLoadError, load_estate
    from infra.settings import StackSettingsError, read_stack_settings

    def trusts(stack: str) -> int:
        try:
            settings = read_stack_settings(stack)
            return len(load_estate(settings.estate_dir).trusts_in(settings.region)) if settings.region else 0
        except (StackSettingsError, EstateLoadError, OSError):
            return 0  # the worker reports the error, naming the file and field

    return sorted(wave, key=lambda stack: (-trusts(stack), stack))


def render_stacks(
    stacks: list[str],
    out: Path,
    overrides: dict[str, str] | None = None,
    jobs: int | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Render ``stacks`` into ``out`` (``out/<stack>/`` when several), in dependency order.

    Each stack runs in a fresh worker process (the Pulumi runtime is process-global);
    stacks of one wave run in parallel, largest first. A region stack's StackReference is
    answered with the outputs of the national stack rendered in the same run, or rendered
    for it into a temporary folder.
    """
    overrides = overrides or {}
    jobs = jobs or min(len(stacks), os.cpu_count() or 1)
    graph = dependencies()
    needed = set(stacks)
    for stack in stacks:
        needed |= graph.get(stack, set())
    single = len(stacks) == 1
    results: dict[str, dict[str, Any]] = {}
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    # One process per stack (maxtasksperchild=1): the Pulumi runtime keeps its root Stack
    # resource per process, so a reused worker would parent the next stack to the last one.
    with tempfile.TemporaryDirectory(prefix="imaging-cloud-deps-") as deps, \
            context.Pool(processes=max(1, jobs), maxtasksperchild=1) as pool:
        for wave in deployment_waves(sorted(needed)):
            pending = []
            for stack in _largest_first(wave):
                upstream = next(iter(graph.get(stack, set())), None)
                national = results.get(upstream, {}).get("outputs") if upstream else None
                if upstream and upstream in results and "error" in results[upstream]:
                    results[stack] = {"stack": stack, "error": f"not rendered: {upstream} failed"}
                    continue
                if stack not in stacks:
                    target = Path(deps) / stack
                else:
                    target = out if single else out / stack
                target.mkdir(parents=True, exist_ok=True)
                pending.append(pool.apply_async(_render_one, (stack, str(target), national, overrides)))
            for job in pending:
                result = job.get()
                results[result["stack"]] = result
                if progress and result["stack"] in stacks:
                    progress(result)
    return {s: results[s] for s in stacks}
