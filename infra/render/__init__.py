"""Offline rendering: the same Pulumi program under the mock runtime, written to disk."""

from __future__ import annotations

import concurrent.futures
import importlib.util
import json
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


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
    "infra.render.fork_server",  # last: freezes what the others loaded
]


def _render_one(
    stack: str, out_dir: str, upstream: str | None, publish: str, overrides: dict[str, str],
    profile: str | None = None,
) -> dict[str, Any]:
    """Render ``stack`` in this worker; hand its outputs to the stacks that read them.

    ``upstream`` is the hand-off file of the stack this one references (None for the
    national and dev stacks); the wait for it happens only when the program resolves its
    StackReference, so a region renders its trusts while the national stack finishes.
    ``profile``, a folder, records the worker with pyinstrument (``render --profile``).
    """
    if profile:
        return _profiled(profile, stack, _render_one, stack, out_dir, upstream, publish, overrides)
    import pulumi

    from infra.render.runtime import render_program
    from infra.render.writer import ManifestWriter, write_stack

    handoff = OutputsHandoff(Path(publish))
    manifests = ManifestWriter(Path(out_dir))  # written while the program runs
    try:
        try:
            national = OutputsHandoff(Path(upstream)).wait if upstream else None
            registrations, outputs = render_program(stack, national, overrides, on_record=manifests.add)
        except (pulumi.RunError, FileNotFoundError, UpstreamFailed) as failure:
            return {"stack": stack, "error": str(failure)}
        handoff.publish(outputs["values"])
        plan = write_stack(Path(out_dir), stack, registrations, outputs, manifests)
        discarded = str(manifests.discarded) if manifests.discarded else None
        return {"stack": stack, "summary": plan["summary"], "outputs": outputs["values"], "discarded": discarded}
    finally:
        manifests.abandon()  # a no-op once committed
        handoff.fail_unless_published()


def _profiled(folder: str, stack: str, render: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run ``render(*args)`` under pyinstrument; write ``folder/<stack>.html`` and ``.txt``."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    profiler.start()
    try:
        return render(*args)
    finally:
        profiler.stop()
        Path(folder).mkdir(parents=True, exist_ok=True)
        Path(folder, f"{stack}.html").write_text(profiler.output_html(), encoding="utf-8")
        Path(folder, f"{stack}.txt").write_text(profiler.output_text(unicode=True, color=False), encoding="utf-8")


class UpstreamFailed(Exception):
    """The stack this one references failed to render (its worker reported the reason)."""


class OutputsHandoff:
    """A stack's outputs passed to the workers rendering the stacks that reference it.

    A JSON file in the run's temporary folder, written atomically (rename); a ``.failed``
    file instead tells the readers not to wait. Secrets are offline placeholders, and the
    folder is deleted when the run ends.
    """

    def __init__(self, path: Path):
        self.path = path
        self.failed = path.with_suffix(".failed")

    def publish(self, outputs: dict[str, Any]) -> None:
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps(outputs), encoding="utf-8")
        partial.rename(self.path)

    def fail_unless_published(self) -> None:
        if not self.path.exists():
            self.failed.touch()

    def wait(self, timeout: float = 900.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while not self.path.exists():
            if self.failed.exists():
                raise UpstreamFailed(f"not rendered: {self.path.stem} failed")
            if time.monotonic() > deadline:
                raise UpstreamFailed(f"not rendered: {self.path.stem} did not finish in {timeout:.0f} s")
            time.sleep(0.02)
        return json.loads(self.path.read_text(encoding="utf-8"))


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


def start_workers() -> None:
    """Start the fork server now (it imports PRELOAD, ~2 s), e.g. while input is validated."""
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(PRELOAD)
    forkserver.ensure_running()


def render_stacks(
    stacks: list[str],
    out: Path,
    overrides: dict[str, str] | None = None,
    jobs: int | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
    profile: Path | None = None,
) -> dict[str, dict[str, Any]]:
    """Render ``stacks`` into ``out`` (``out/<stack>/`` when several).

    Each stack runs in a fresh worker process (the Pulumi runtime is process-global),
    started in dependency order and, within a wave, largest first. A region stack's
    StackReference is answered with the outputs of the national stack rendered in the same
    run (into a temporary folder when it was not asked for), handed over as soon as the
    national program finishes. ``profile`` names a folder for a pyinstrument profile of
    every worker.
    """
    from infra.stackgraph import dependencies, deployment_waves

    if profile is not None and importlib.util.find_spec("pyinstrument") is None:  # each worker imports it
        raise SystemExit("render --profile needs pyinstrument: .venv/bin/pip install -e '.[bench]'")

    overrides = overrides or {}
    graph = dependencies()
    needed = set(stacks)
    for stack in stacks:
        needed |= graph.get(stack, set())
    jobs = jobs or min(len(needed), os.cpu_count() or 1)
    single = len(stacks) == 1
    order = [stack for wave in deployment_waves(sorted(needed)) for stack in _largest_first(wave)]
    results: dict[str, dict[str, Any]] = {}
    start_workers()
    context = multiprocessing.get_context("forkserver")
    # One process per stack (maxtasksperchild=1): the Pulumi runtime keeps its root Stack
    # resource per process, so a reused worker would parent the next stack to the last one.
    # Tasks start in submission order, so a stack's upstream always starts before it: a
    # worker waiting for outputs never holds up the stack that produces them.
    # The previous render's manifests are deleted here, on a thread of this otherwise idle
    # process, while the next stack renders (~0.2 s a region in the worker otherwise).
    with tempfile.TemporaryDirectory(prefix="imaging-cloud-render-") as scratch, \
            concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="discard") as cleaner, \
            context.Pool(processes=max(1, jobs), maxtasksperchild=1) as pool:
        handoffs = Path(scratch) / "outputs"
        handoffs.mkdir()
        pending = []
        for stack in order:
            upstream = next(iter(graph.get(stack, set())), None)
            if stack not in stacks:
                target = Path(scratch) / stack
            else:
                target = out if single else out / stack
            target.mkdir(parents=True, exist_ok=True)
            args = (stack, str(target), str(handoffs / f"{upstream}.json") if upstream else None,
                    str(handoffs / f"{stack}.json"), overrides, str(profile) if profile else None)
            pending.append(pool.apply_async(_render_one, args))
        for job in pending:
            result = job.get()
            if result.get("discarded"):
                cleaner.submit(shutil.rmtree, result["discarded"], ignore_errors=True)
            results[result["stack"]] = result
            if progress and result["stack"] in stacks:
                progress(result)
    return {s: results[s] for s in stacks}
