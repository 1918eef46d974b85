"""The SDK floor: the same registrations with the SDKs alone, no project code.

Reads a rendered ``plan.json`` and makes one registration for each of its resources, in
the simplest way the SDKs allow: Kubernetes objects with pulumi_kubernetes' typed classes
(CustomResource for kinds it does not know), Helm releases with ``helm.v3.Release``,
providers with ``Provider``, stack references with ``StackReference`` and components as
bare ``ComponentResource``s. They run under the renderer's own mock runtime
(``infra.render.runtime.start_offline_runtime``: same monitor, same settings), so the
difference to a render is the project's overhead: estate loading, component logic,
chart rendering and plan writing.

    python -m bench.floor PLAN.json [PLAN.json ...]   -> prints registrations and seconds

Several plans are registered in one process, as one program (the estate's floor).
"""

from __future__ import annotations

import json
import re
import sys
import time

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_GROUP_MODULES = {"": "core", "networking.k8s.io": "networking", "rbac.authorization.k8s.io": "rbac",
                  "storage.k8s.io": "storage"}


def _snake(inputs: dict) -> dict:
    return {_CAMEL.sub("_", key).lower(): value for key, value in inputs.items()}


def main(plan_paths: list[str]) -> None:
    started = time.perf_counter()
    import pulumi
    import pulumi_kubernetes as k8s
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from infra.render.runtime import start_offline_runtime

    resources = [entry for path in plan_paths for entry in json.loads(open(path).read())["resources"]]
    recorded = start_offline_runtime("floor", "floor", {}, [])

    def register(index: int, entry: dict, opts: pulumi.ResourceOptions) -> None:
        inputs, kind_of = dict(entry["inputs"]), entry["type"]
        name = f"r{index}"
        if not entry["custom"]:
            pulumi.ComponentResource(kind_of, name)
        elif kind_of == "pulumi:pulumi:StackReference":
            pulumi.StackReference(name, stack_name=inputs.get("name", "national"))
        elif kind_of == "pulumi:providers:kubernetes":
            k8s.Provider(name, kubeconfig=pulumi.Output.secret("x"))
        elif kind_of == "kubernetes:helm.sh/v3:Release":
            k8s.helm.v3.Release(name, opts=opts, **_snake(inputs))
        elif "read" in entry:
            k8s.core.v1.Secret.get(name, entry["read"]["id"], opts=opts)
        else:
            api_version, kind = inputs.pop("apiVersion"), inputs.pop("kind")
            group, _, version = api_version.rpartition("/")
            module = _GROUP_MODULES.get(group, group)
            cls = getattr(getattr(getattr(k8s, module, None), version, None), kind, None) if module else None
            if cls is None:
                metadata = inputs.pop("metadata")
                k8s.apiextensions.CustomResource(name, api_version=api_version, kind=kind,
                                                 metadata=metadata, opts=opts, **inputs)
            else:
                cls(name, opts=opts, **_snake(inputs))

    def program() -> None:
        opts = pulumi.ResourceOptions(provider=k8s.Provider("floor", kubeconfig=pulumi.Output.secret("x")))
        for index, entry in enumerate(resources):
            register(index, entry, opts)

    _sync_await(run_pulumi_func(program))
    print(json.dumps({"registrations": len(recorded), "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main(sys.argv[1:])
