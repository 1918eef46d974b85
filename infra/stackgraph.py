"""The stacks of the project and the order they depend on each other.

Derived from the stack config files only (a region stack's ``nationalStack``), so the
CI pipeline, the renderer and the docs cannot disagree about it.
"""

from __future__ import annotations

import graphlib

import yaml

from infra.settings import PROJECT, STACKS_DIR

DEV_STACKS = {"dev"}


def stack_names() -> list[str]:
    return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in STACKS_DIR.glob("Pulumi.*.yaml"))


def production_stacks() -> list[str]:
    return [s for s in stack_names() if s not in DEV_STACKS]


def dependencies() -> dict[str, set[str]]:
    """stack -> the stacks it reads through StackReference."""
    graph: dict[str, set[str]] = {}
    for stack in stack_names():
        config = (yaml.safe_load((STACKS_DIR / f"Pulumi.{stack}.yaml").read_text()) or {}).get("config") or {}
        reference = config.get(f"{PROJECT}:nationalStack")
        graph[stack] = {reference.rsplit("/", 1)[-1]} if reference else set()
    return graph


def deployment_waves(stacks: list[str] | None = None) -> list[list[str]]:
    """Stacks grouped in waves: each wave depends only on earlier ones."""
    graph = dependencies()
    selected = set(stacks or graph)
    sorter = graphlib.TopologicalSorter({s: graph[s] & selected for s in selected})
    sorter.prepare()
    waves = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        waves.append(ready)
        sorter.done(*ready)
    return waves
