"""The stacks of the project and the order they depend on each other.

Derived from the stack config files only (a region stack's ``nationalStack``), so the
CI pipeline, the renderer and the docs cannot disagree about it.
"""

from __future__ import annotations

import graphlib

from infra import yamlio
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
        config = (yamlio.load((STACKS_DIR / f"Pulumi.{stack}.yaml").read_text()) or {}).get("config") or {}
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


def affected_stacks(changed_files: list[str]) -> list[str]:
    """Production stacks a change can alter, for previews on a pull request.

    A region's trust file touches that region's stack and the national stack (its
    Cluster API object carries the audit policy listing the trust namespaces);
    agreements touch the regions of both parties; anything else (code, charts,
    policies, national settings) can touch every stack.
    """
    from infra.model.loader import EstateLoadError, load_estate
    from infra.settings import STACKS_DIR

    stacks = set(production_stacks())
    regions = {s for s in stacks if s != "national"}
    affected: set[str] = set()
    for changed in changed_files:
        path = changed.replace("\\", "/")
        if path.startswith("stacks/estate/trusts/"):
            region = path.rsplit("/", 1)[-1].removesuffix(".yaml")
            affected |= {"national"} | ({region} & regions)
        elif path == "stacks/estate/sharing-agreements.yaml":
            try:
                estate = load_estate(STACKS_DIR / "estate")
            except EstateLoadError:
                return sorted(stacks)
            for agreement in estate.sharing_agreements:
                affected |= {estate.trust(agreement.provider).region, estate.trust(agreement.consumer).region}
        elif path.startswith("stacks/Pulumi.") and path.removeprefix("stacks/Pulumi.").removesuffix(".yaml") in stacks:
            affected.add(path.removeprefix("stacks/Pulumi.").removesuffix(".yaml"))
        elif path.startswith(("stacks/estate-dev/", "docs/", "tests/", "bench/")) or path.endswith(".md"):
            continue
        else:
            return sorted(stacks)
    return sorted(affected & stacks)
