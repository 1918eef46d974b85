"""Run the Pulumi program of one stack under Pulumi's own mock runtime.

This is the offline half of "same program, two engines": the program registers its
resources exactly as under ``pulumi up``; a recording resource monitor keeps every
registration request (type, name, parent, provider, options, inputs) as the engine
would receive it, and :mod:`infra.render.writer` turns them into manifests and
``plan.json``. Nothing here knows about components: it only sees what the engine sees.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from google.protobuf import json_format, struct_pb2

from infra import yamlio
from infra.settings import PROJECT, STACKS_DIR

SECRET_SIG = "4dabf18193072939515e22adb298388d"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
SPECIAL_SIG_KEY = SECRET_SIG  # the key under which Pulumi marks special values
SECRET_VALUE_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_VALUE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
REDACTED = "[secret]"
#: What answers a region's StackReference: the national outputs, or a function that
#: waits for them (see infra.render.OutputsHandoff).
NationalOutputs = dict[str, Any] | Callable[[], dict[str, Any]] | None
#: Secret stack config is encrypted for the real engine; offline it is a placeholder.
OFFLINE_SECRET = "offline-render-placeholder"


def plain(value: Any, redact: bool = True) -> Any:
    """Turn a deserialised protobuf Struct into plain data.

    Secrets become ``[secret]`` (or their value when ``redact`` is False, for passing
    outputs between stacks in memory); integral floats become ints again, because the
    wire format has only doubles (pulumi#5418) and a manifest must say ``replicas: 3``.
    """
    if isinstance(value, dict):
        sig = value.get(SPECIAL_SIG_KEY)
        if sig == SECRET_VALUE_SIG:
            return REDACTED if redact else plain(value.get("value"), redact)
        if sig == RESOURCE_VALUE_SIG:
            return value.get("urn")
        return {key: plain(item, redact) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item, redact) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == UNKNOWN:
        return "[unknown]"
    return value


@dataclasses.dataclass
class Registration:
    """One resource as the engine was asked to manage (or read) it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    inputs: dict[str, Any]
    protect: bool
    retain_on_delete: bool
    delete_before_replace: bool
    depends_on: list[str]
    ignore_changes: list[str]
    replace_on_changes: list[str]
    deleted_with: str
    read_id: str | None = None

    def as_plan_entry(self) -> dict[str, Any]:
        entry = {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "custom": self.custom,
            "parent": self.parent or None,
            "provider": self.provider.rsplit("::", 1)[0] if self.provider else None,
            "options": {
                "protect": self.protect,
                "retainOnDelete": self.retain_on_delete,
                "deleteBeforeReplace": self.delete_before_replace,
                "dependsOn": sorted(self.depends_on),  # a set: the engine keeps no order
                "ignoreChanges": self.ignore_changes,
                "replaceOnChanges": self.replace_on_changes,
                "deletedWith": self.deleted_with or None,
            },
            "inputs": self.inputs,
        }
        if self.read_id is not None:
            entry["read"] = {"id": self.read_id}
        return entry


def _stack_config(stack: str) -> dict[str, str]:
    path = STACKS_DIR / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in STACKS_DIR.glob("Pulumi.*.yaml"))
        raise FileNotFoundError(f"{path.relative_to(STACKS_DIR.parent)}: no such stack (known: {', '.join(known)})")
    data = yamlio.load(path.read_text()) or {}
    return {str(k): v for k, v in (data.get("config") or {}).items()}


def _lighten_sdk_for_offline_use() -> None:
    """Two process-wide settings that cut a region's render by about a third.

    - Garbage collection off: registering a resource allocates thousands of short-lived
      futures, tasks and protobuf objects, and the cycle collector rescans the ever-growing
      heap of live resources over and over (a sixth of a region's render, even with larger
      thresholds). Reference counting still frees almost everything; what only the cycle
      collector would free is a few per cent of the heap (measured: midlands peaks at
      243 MB instead of 232 MB), and a render worker is a short-lived process that exits
      when its stack is written. Objects that exist before the program runs are frozen,
      so a collection forced elsewhere would not rescan them either.
    - Source positions: the SDK walks and formats the Python stack for every resource so
      that the engine can show where it was declared. The offline renderer discards them
      (they are not part of a resource's desired state), so the walk is skipped. The
      function is private SDK API: ``tests/render/test_runtime.py`` fails if an SDK
      upgrade renames it, rather than this silently losing the saving.

    Only ever called in a render worker process (or the benchmark floor), never under the
    real engine.
    """
    import gc

    from pulumi.runtime import resource as sdk_resource
    from pulumi.runtime.proto import source_pb2

    gc.collect()
    gc.freeze()
    gc.disable()
    sdk_resource._get_stack_trace = lambda: source_pb2.StackTrace()  # noqa: SLF001 - see docstring


def start_offline_runtime(
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str],
    national_outputs: NationalOutputs = None,
    on_record: Callable[[Registration], None] | None = None,
) -> list[Registration]:
    """Point the Pulumi SDK of this process at the recording mock monitor.

    Returns the list the monitor appends every registration to; ``on_record`` is called
    with each one as it arrives (the renderer writes manifests while the program runs). The renderer and the
    benchmark floor (``bench/floor.py``) both start their runtime here, so the floor
    measures exactly the runtime the project renders with.
    """
    import pulumi
    from pulumi.runtime import mocks as pulumi_mocks
    from pulumi.runtime.proto import resource_pb2

    logging.getLogger("pulumi").setLevel(logging.ERROR)
    _lighten_sdk_for_offline_use()
    # The SDK sends every registration to the monitor through the loop's default thread
    # pool. The mock monitor is in-process Python, so extra threads only contend for the
    # GIL: one worker renders a region ~40% faster (measured: 9.9 s -> 5.8 s, midlands).
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(max_workers=1))
    registrations: list[Registration] = []

    def record(request, urn: str, inputs_struct, read_id: str | None) -> Registration:
        raw = json_format.MessageToDict(inputs_struct, preserving_proto_field_name=True) if inputs_struct else {}
        registration = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(getattr(request, "custom", True)),
            parent=request.parent,
            provider=request.provider,
            inputs=plain(raw),
            protect=bool(getattr(request, "protect", False)),
            retain_on_delete=bool(getattr(request, "retainOnDelete", False)),
            delete_before_replace=bool(getattr(request, "deleteBeforeReplace", False)),
            depends_on=list(getattr(request, "dependencies", [])),
            ignore_changes=list(getattr(request, "ignoreChanges", [])),
            replace_on_changes=list(getattr(request, "replaceOnChanges", [])),
            deleted_with=getattr(request, "deletedWith", ""),
            read_id=read_id,
        )
        registrations.append(registration)
        if on_record is not None:
            on_record(registration)
        return registration

    class RecordingMonitor(pulumi_mocks.MockMonitor):
        """Records each request; answers as the engine would after creating it.

        The answer carries the resource's id and its ``metadata`` (what a Kubernetes
        provider echoes and what programs read back); the SDK fills the other outputs
        from the inputs, as it does after any ``pulumi up``. Answering directly skips the
        base mock's deserialise-then-reserialise round trip of every input.
        """

        def RegisterResource(self, request):
            if request.type in ("pulumi:pulumi:Stack", "pulumi:pulumi:StackReference"):
                response = super().RegisterResource(request)
                if request.type != "pulumi:pulumi:Stack":
                    record(request, response.urn, request.object, None)
                return response
            urn = self.make_urn(request.parent, request.type, request.name)
            registration = record(request, urn, request.object, None)
            state = struct_pb2.Struct()
            resource_id = ""
            if request.custom:
                resource_id = _resource_id(registration.inputs, request.name)
                if "metadata" in request.object.fields:
                    state.fields["metadata"].CopyFrom(request.object.fields["metadata"])
            self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, resource_id, {})
            return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=state)

        def ReadResource(self, request):
            response = super().ReadResource(request)
            record(request, response.urn, request.properties, request.id)
            return response

    class OfflineMocks(pulumi.runtime.Mocks):
        """Answers what RecordingMonitor hands to the base mock: stack references and reads."""

        def new_resource(self, args: pulumi.runtime.MockResourceArgs):
            state = dict(args.inputs)
            if args.typ == "pulumi:pulumi:StackReference":
                # Called on the monitor's thread: waiting here for a national stack that
                # is still rendering elsewhere does not stop the program's own code.
                state["outputs"] = (national_outputs() if callable(national_outputs) else national_outputs) or {}
                state["secretOutputNames"] = ["kubeconfigs"]
            elif args.typ == "kubernetes:core/v1:Secret" and args.resource_id:
                # A Secret read at deploy time (e.g. a Cluster API kubeconfig).
                note = f"# read from the management cluster at deploy time: {args.resource_id}\n"
                state["data"] = {"value": base64.b64encode(note.encode()).decode()}
            return args.resource_id or _resource_id(args.inputs, args.name), state

        def call(self, args: pulumi.runtime.MockCallArgs):
            return {}

    pulumi.runtime.set_all_config(config, secret_keys)
    mocks = OfflineMocks()
    # preview=True: the program runs as under `pulumi preview`, so an output the engine
    # would only learn by deploying stays unknown instead of being guessed from inputs
    # (and the SDK skips copying every input back into the outputs: -12% time).
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=True, monitor=RecordingMonitor(mocks))
    return registrations


def _resource_id(inputs: dict[str, Any], name: str) -> str:
    """The id a Kubernetes provider gives an object: ``namespace/name`` or ``name``."""
    metadata = inputs.get("metadata") if isinstance(inputs.get("metadata"), dict) else {}
    object_name = metadata.get("name") or name
    namespace = metadata.get("namespace")
    return f"{namespace}/{object_name}" if namespace else str(object_name)


def render_program(
    stack: str,
    national_outputs: NationalOutputs = None,
    overrides: dict[str, str] | None = None,
    on_record: Callable[[Registration], None] | None = None,
) -> tuple[list[Registration], dict[str, Any]]:
    """Run the program of ``stack`` offline; return its registrations and plain outputs.

    ``on_record`` sees each registration as the monitor records it.

    Must run in a fresh interpreter (the Pulumi runtime is process-global): the CLI
    runs each stack in its own worker process.
    """
    import pulumi
    from pulumi.runtime import settings as pulumi_settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    config = _stack_config(stack)
    config.update({f"{PROJECT}:{k}": v for k, v in (overrides or {}).items()})
    secret_keys = [f"{PROJECT}:{key}" for key in ("kubeconfig", "managementKubeconfig")]
    for key in secret_keys:
        config.setdefault(key, OFFLINE_SECRET)
    flat = {k: (v if isinstance(v, str) else yamlio.dump(v).strip()) for k, v in config.items()}
    registrations = start_offline_runtime(PROJECT, stack, flat, secret_keys, national_outputs, on_record)

    from infra.program import main

    outputs: dict[str, Any] = {}
    secret_outputs: set[str] = set()

    async def collect() -> None:
        root = pulumi_settings.get_root_resource()
        for key, output in root.outputs.items():
            output = pulumi.Output.from_input(output)
            outputs[key] = await output.future(with_unknowns=True)
            if await output.is_secret():
                secret_outputs.add(key)

    _sync_await(run_pulumi_func(main))
    _sync_await(run_pulumi_func(lambda: _sync_await(collect())))
    return registrations, {"values": outputs, "secret": sorted(secret_outputs)}


def write_placeholder_note(directory: Path) -> None:  # pragma: no cover - documentation aid
    (directory / "README.txt").write_text(
        "Rendered offline by `imaging-cloud render`: secrets appear as [secret]; values only known\n"
        "at deploy time (e.g. Cluster API kubeconfigs) are placeholders.\n"
    )
