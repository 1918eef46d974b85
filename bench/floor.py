"""The SDK floor: the same registrations with pulumi_kubernetes alone, no project code.

Reads a rendered ``plan.json`` and registers one provider and every Kubernetes object of
it with the SDK's typed classes (CustomResource for other kinds) under the same mock
runtime configuration the renderer uses. Component resources, estate loading, chart
rendering and plan writing are the project's overhead and are not in the floor.

    python -m bench.floor PLAN.json   -> prints registrations and seconds
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import sys
import time


def main(plan_path: str) -> None:
    started = time.perf_counter()
    import pulumi
    import pulumi_kubernetes as k8s
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    plan = json.loads(open(plan_path).read())
    objects = [r for r in plan["resources"] if r["custom"] and r["type"].startswith("kubernetes:")
               and "kind" in r["inputs"] and "read" not in r]

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args):
            return f"{args.name}-id", args.inputs

        def call(self, args):
            return {}

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(max_workers=1))
    pulumi.runtime.set_mocks(Mocks(), project="floor", stack="floor", preview=False)

    def program() -> None:
        provider = k8s.Provider("floor", kubeconfig=pulumi.Output.secret("x"))
        opts = pulumi.ResourceOptions(provider=provider)
        for index, r in enumerate(objects):
            inputs = dict(r["inputs"])
            api_version, kind = inputs.pop("apiVersion"), inputs.pop("kind")
            group, _, version = api_version.rpartition("/")
            module = {"": "core", "networking.k8s.io": "networking", "rbac.authorization.k8s.io": "rbac",
                      "storage.k8s.io": "storage"}.get(group, group)
            cls = getattr(getattr(getattr(k8s, module, None), version, None), kind, None) if module else None
            if cls is None:
                metadata = inputs.pop("metadata")
                k8s.apiextensions.CustomResource(f"r{index}", api_version=api_version, kind=kind,
                                                 metadata=metadata, opts=opts, **inputs)
            else:
                kwargs = {"".join("_" + c.lower() if c.isupper() else c for c in k): v for k, v in inputs.items()}
                cls(f"r{index}", opts=opts, **kwargs)

    _sync_await(run_pulumi_func(program))
    print(json.dumps({"registrations": len(objects) + 1, "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main(sys.argv[1])
