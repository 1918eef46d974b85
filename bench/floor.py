"""The SDK floor: the same registrations with the SDKs alone, no project code.

Reads rendered ``plan.json`` files and makes one registration for each of their
resources, in the simplest way the SDKs allow: Kubernetes objects with pulumi_kubernetes'
typed classes (CustomResource for kinds it does not know), Helm releases with
``helm.v3.Release``, providers with ``Provider``, stack references with
``StackReference`` and components as bare ``ComponentResource``s. They run under the
renderer's own mock runtime (``infra.render.runtime.start_offline_runtime``: same
monitor, same settings), so the difference to a render is the project's overhead.

Two shapes of the same registrations:

- flat (the default, issue #7's floor): every resource at the top of the stack, on one
  provider, without options;
- ``--graph``: every resource also carries what the plan says of it: its parent, its
  dependencies, its provider (one per provider of the plan) and its options (protect,
  retainOnDelete, ignoreChanges, ...). The SDK then resolves the same resource graph the
  program builds, so the difference to a render is the project's own code alone: estate
  loading and validation, component logic, chart rendering, writing manifests and
  ``plan.json``, and process orchestration.

    python -m bench.floor [--graph] [--per-stack] PLAN.json [PLAN.json ...]  -> prints registrations, seconds

Several plans are registered in one process, as one program (the estate's floor), or
with ``--per-stack`` each in a process of its own, one after another, forked from a
process that has imported the SDK's modules the render's fork server preloads: the
render's own process model, without its program.
"""

from __future__ import annotations

import argparse
import graphlib
import json
import os
import re
import time
from typing import Any

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_GROUP_MODULES = {"": "core", "networking.k8s.io": "networking", "rbac.authorization.k8s.io": "rbac",
                  "storage.k8s.io": "storage"}
PROVIDER = "pulumi:providers:kubernetes"
#: The options the graph floor reproduces and checks (as plan.json spells them).
CHECKED_OPTIONS = ("protect", "retainOnDelete", "deleteBeforeReplace")


def _snake(inputs: dict) -> dict:
    return {_CAMEL.sub("_", key).lower(): value for key, value in inputs.items()}


def graph_order(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The resources with every parent, provider and dependency before its dependents."""
    by_urn = {entry["urn"]: entry for entry in resources}
    sorter: graphlib.TopologicalSorter = graphlib.TopologicalSorter()
    for entry in resources:
        before = [entry["parent"], entry["provider"], *entry["options"]["dependsOn"]]
        sorter.add(entry["urn"], *(urn for urn in before if urn in by_urn))
    return [by_urn[urn] for urn in sorter.static_order()]


def main(plan_paths: list[str], graph: bool = False) -> dict[str, Any]:
    started = time.perf_counter()
    import pulumi
    import pulumi_kubernetes as k8s
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from infra.render.runtime import start_offline_runtime

    resources = [entry for path in plan_paths for entry in json.loads(open(path).read())["resources"]]
    if graph:
        resources = graph_order(resources)
    recorded = start_offline_runtime("floor", "floor", {}, [])
    made: dict[str, pulumi.Resource] = {}

    def options(entry: dict[str, Any], flat_provider: pulumi.ProviderResource | None) -> pulumi.ResourceOptions:
        on_provider = entry["custom"] and entry["type"] != PROVIDER
        if not graph:
            return pulumi.ResourceOptions(provider=flat_provider if on_provider else None)
        plan_options = entry["options"]
        return pulumi.ResourceOptions(
            parent=made.get(entry["parent"]),
            provider=made.get(entry["provider"]) if on_provider else None,
            depends_on=[made[urn] for urn in plan_options["dependsOn"] if urn in made] or None,
            protect=plan_options["protect"],
            retain_on_delete=plan_options["retainOnDelete"],
            delete_before_replace=plan_options["deleteBeforeReplace"],
            ignore_changes=plan_options["ignoreChanges"] or None,
            replace_on_changes=plan_options["replaceOnChanges"] or None,
        )

    def register(index: int, entry: dict, opts: pulumi.ResourceOptions) -> pulumi.Resource:
        inputs, kind_of = dict(entry["inputs"]), entry["type"]
        name = f"r{index}"
        if not entry["custom"]:
            return pulumi.ComponentResource(kind_of, name, None, opts)
        if kind_of == "pulumi:pulumi:StackReference":
            return pulumi.StackReference(name, stack_name=inputs.get("name", "national"))
        if kind_of == PROVIDER:
            return k8s.Provider(name, kubeconfig=pulumi.Output.secret("x"), opts=opts)
        if kind_of == "kubernetes:helm.sh/v3:Release":
            return k8s.helm.v3.Release(name, opts=opts, **_snake(inputs))
        if "read" in entry:
            return k8s.core.v1.Secret.get(name, entry["read"]["id"], opts=opts)
        api_version, kind = inputs.pop("apiVersion"), inputs.pop("kind")
        group, _, version = api_version.rpartition("/")
        module = _GROUP_MODULES.get(group, group)
        cls = getattr(getattr(getattr(k8s, module, None), version, None), kind, None) if module else None
        if cls is None:
            metadata = inputs.pop("metadata")
            return k8s.apiextensions.CustomResource(name, api_version=api_version, kind=kind,
                                                    metadata=metadata, opts=opts, **inputs)
        return cls(name, opts=opts, **_snake(inputs))

    def program() -> None:
        # Flat: one provider of the floor's own for everything; graph: the plan's providers.
        flat_provider = None if graph else k8s.Provider("floor", kubeconfig=pulumi.Output.secret("x"))
        for index, entry in enumerate(resources):
            made[entry["urn"]] = register(index, entry, options(entry, flat_provider))

    _sync_await(run_pulumi_func(program))
    seconds = time.perf_counter() - started
    result = {"registrations": len(recorded), "seconds": seconds, "shape": "graph" if graph else "flat"}
    if graph:  # after the clock stops: how faithfully the graph was reproduced
        result["differences"] = graph_differences(resources, recorded)
    return result


def per_stack(plan_paths: list[str], graph: bool) -> dict[str, Any]:
    """Register each plan in a forked process of its own, one after another."""
    import gc
    import importlib

    from infra.render import PRELOAD

    started = time.perf_counter()
    # What the render's fork server holds besides the program: the SDK and the runtime,
    # frozen as there (infra/render/fork_server.py), so a child's collection skips them.
    for module in ("infra.render.runtime", *(m for m in PRELOAD if m.startswith("pulumi_kubernetes"))):
        importlib.import_module(module)
    gc.freeze()
    results = []
    for path in plan_paths:
        reader, writer = os.pipe()
        child = os.fork()
        if child == 0:  # never returns into this loop, whatever happens
            try:
                os.close(reader)
                os.write(writer, json.dumps(main([path], graph)).encode())
            except BaseException:  # noqa: BLE001 - said on stderr; the parent reports the failure
                import traceback

                traceback.print_exc()
                os._exit(1)
            os._exit(0)  # as a render worker ends
        os.close(writer)
        with os.fdopen(reader) as stream:
            output = stream.read()
        _, status = os.waitpid(child, 0)
        if status != 0 or not output:
            raise SystemExit(f"the floor of {path} failed (wait status {status})")
        results.append(json.loads(output))
    return {"registrations": sum(r["registrations"] for r in results), "seconds": time.perf_counter() - started,
            "shape": results[0]["shape"] + ", per stack",
            "differences": [d for r in results for d in r.get("differences", [])]}


def _root(parent: str | None) -> str | None:
    """Any stack's root resource is the same place: the top of the stack."""
    return "<stack>" if parent and "::pulumi:pulumi:Stack::" in parent else parent


def graph_differences(resources: list[dict[str, Any]], recorded: list) -> list[str]:
    """Where the floor's registrations differ from the plan's in type, parent, provider,
    dependencies or options (its names are ``r<index>``, so URNs are compared by origin)."""
    origin = {f"r{index}": entry["urn"] for index, entry in enumerate(resources)}
    original = {r.urn: origin.get(r.name, r.urn) for r in recorded}
    by_urn = {entry["urn"]: entry for entry in resources}
    differences = []
    for registration in recorded:
        entry = by_urn.get(original[registration.urn])
        if entry is None:
            continue  # the Stack resource itself
        mine = registration.as_plan_entry()
        seen = {
            "type": mine["type"],
            "parent": _root(original.get(mine["parent"], mine["parent"])),
            "provider": original.get(mine["provider"], mine["provider"]),
            "dependsOn": sorted(original.get(urn, urn) for urn in mine["options"]["dependsOn"]),
            **{key: mine["options"][key] for key in CHECKED_OPTIONS},
        }
        wanted = {
            "type": entry["type"], "parent": _root(entry["parent"]),
            "provider": entry["provider"],
            "dependsOn": sorted(entry["options"]["dependsOn"]),
            **{key: entry["options"][key] for key in CHECKED_OPTIONS},
        }
        differences += [f"{entry['urn']}: {key} {seen[key]!r} != {wanted[key]!r}" for key in wanted
                        if seen[key] != wanted[key]]
    return differences


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", action="store_true", help="register with the plan's parents, dependencies, "
                        "providers and options")
    parser.add_argument("--per-stack", action="store_true", help="each plan in a process of its own, one "
                        "after another, forked from one that has imported the SDK (as the render's workers)")
    parser.add_argument("plans", nargs="+")
    arguments = parser.parse_args()
    run = per_stack if arguments.per_stack else main
    print(json.dumps(run(arguments.plans, arguments.graph)), flush=True)
    # End as the render workers do (multiprocessing's os._exit): tearing down the object
    # graph of ~10,000 resources takes Python ~4 s that a render never pays.
    os._exit(0)
