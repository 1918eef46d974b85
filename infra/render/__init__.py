"""Offline rendering: the same Pulumi program under the mock runtime, written to disk."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra.stackgraph import dependencies, deployment_waves


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


def render_stacks(
    stacks: list[str],
    out: Path,
    overrides: dict[str, str] | None = None,
    jobs: int | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Render ``stacks`` into ``out`` (``out/<stack>/`` when several), in dependency order.

    Each stack runs in a fresh worker process (the Pulumi runtime is process-global);
    stacks of one wave run in parallel. A region stack's StackReference is answered with
    the outputs of the national stack rendered in the same run, or rendered for it.
    """
    overrides = overrides or {}
    jobs = jobs or min(len(stacks), os.cpu_count() or 1)
    graph = dependencies()
    needed = set(stacks)
    for stack in stacks:
        needed |= graph.get(stack, set())
    single = len(stacks) == 1
    results: dict[str, dict[str, Any]] = {}
    context = multiprocessing.get_context("spawn")
    # One process per stack (maxtasksperchild=1): the Pulumi runtime keeps its root Stack
    # resource per process, so a reused worker would parent the next stack to the last one.
    with context.Pool(processes=max(1, jobs), maxtasksperchild=1) as pool:
        for wave in deployment_waves(sorted(needed)):
            pending = []
            for stack in wave:
                upstream = next(iter(graph.get(stack, set())), None)
                national = results.get(upstream, {}).get("outputs") if upstream else None
                if upstream and upstream in results and "error" in results[upstream]:
                    results[stack] = {"stack": stack, "error": f"not rendered: {upstream} failed"}
                    continue
                target = out if single and stack in stacks else (out / stack if stack in stacks else out / "_deps" / stack)
                target.mkdir(parents=True, exist_ok=True)
                pending.append(pool.apply_async(_render_one, (stack, str(target), national, overrides)))
            for job in pending:
                result = job.get()
                results[result["stack"]] = result
                if progress and result["stack"] in stacks:
                    progress(result)
    return {s: results[s] for s in stacks}
