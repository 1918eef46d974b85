"""Write a rendered stack: Kubernetes manifests and the ``plan.json`` inventory.

Output is deterministic (no timestamps, sorted keys where order carries no meaning) so
that a diff between two renders is a review of the change.
"""

from __future__ import annotations

import collections
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import orjson

from infra.render import file_writer
from infra.render.runtime import REDACTED, Registration

PLAN_VERSION = 1
#: Where a commit moves the previous manifests until they are deleted (a hidden folder).
DISCARDED_PREFIX = ".manifests.discarded-"
K8S_PROVIDER = "pulumi:providers:kubernetes"


def is_kubernetes_object(entry: dict[str, Any]) -> bool:
    """A plan entry that is a Kubernetes object (not a provider, component or release)."""
    return _is_object(entry["custom"], entry["type"], entry["inputs"], read="read" in entry)


def _is_object(custom: bool, type_: str, inputs: dict[str, Any], read: bool) -> bool:
    return custom and type_.startswith("kubernetes:") and "kind" in inputs and "apiVersion" in inputs and not read


_UNSAFE = re.compile(r"[^a-zA-Z0-9_.-]+")


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text)


def manifest_path(obj: dict[str, Any]) -> Path:
    meta = obj.get("metadata") or {}
    folder = meta.get("namespace") or "_cluster"
    return Path(_safe(folder)) / f"{_safe(obj['kind'].lower())}-{_safe(meta.get('name', 'unnamed'))}.yaml"


def plan_document(stack: str, registrations: list[Registration], outputs: dict[str, Any]) -> dict[str, Any]:
    # Registrations arrive in the order the SDK's async runtime completes them, which varies
    # run to run; URN order makes two renders of the same program byte-identical.
    resources = sorted((r.as_plan_entry() for r in registrations), key=lambda entry: entry["urn"])
    secret = set(outputs.get("secret", []))
    values = {k: (REDACTED if k in secret else v) for k, v in outputs.get("values", {}).items()}
    return {
        "planVersion": PLAN_VERSION,
        "project": "imaging-cloud",
        "stack": stack,
        "renderedWith": {
            "engine": "pulumi mock runtime (offline)",
            "pulumi": importlib_metadata.version("pulumi"),
            "pulumi-kubernetes": importlib_metadata.version("pulumi-kubernetes"),
        },
        "resources": resources,
        "outputs": values,
        "summary": summarise(resources, values),
    }


def summarise(resources: list[dict[str, Any]], outputs: dict[str, Any]) -> dict[str, Any]:
    kinds = collections.Counter(
        r["inputs"]["kind"] if is_kubernetes_object(r) else r["type"] for r in resources
    )
    clusters = sorted(
        r["name"].removeprefix("k8s-") for r in resources if r["type"] == K8S_PROVIDER
    )
    trusts = sorted(
        r["inputs"]["metadata"]["annotations"]["imaging.nhs.uk/ods-code"]
        for r in resources
        if is_kubernetes_object(r)
        and r["inputs"]["kind"] == "Namespace"
        and "imaging.nhs.uk/ods-code" in (r["inputs"]["metadata"].get("annotations") or {})
    )
    return {
        "resources": len(resources),
        "kubernetesObjects": sum(1 for r in resources if is_kubernetes_object(r)),
        "byKind": dict(sorted(kinds.items())),
        "clusters": clusters,
        "trusts": trusts,
        "protected": sum(1 for r in resources if r["options"]["protect"]),
    }


class ManifestWriter:
    """Writes each Kubernetes object's manifest while the program is still registering.

    Each object is handed, as it arrives, to a child process (``infra.render.file_writer``)
    on the other core, which emits its YAML and creates its file; here it is only encoded
    as JSON (orjson, microseconds), fed to the child in large chunks by one thread. In this
    process the YAML emitter (~0.3 ms an object) and the file system calls (0.1–0.5 ms a
    file on this machine's disk) would hold, or wait for, Python's lock that the program
    needs (measured: threads creating the files slowed the program by a quarter). Files
    land in a staging folder that replaces ``manifests/`` only when the whole stack
    rendered (:meth:`commit`), so a failed render never leaves a half-written folder or
    one mixing two renders. A manifest unchanged since the previous render is a hard link
    to the previous file (the child compares the bytes), so a re-render creates files only
    for what changed and the previous folder's deletion frees nothing else.
    """

    #: Bytes handed to the child at a time: the pipe's own buffer on Linux, so a hand-over
    #: rarely blocks the feeder, and the child's work left when the program ends (one chunk,
    #: ~60 objects) is short: 256 KB left ~0.1 s a region on the critical path (measured).
    CHUNK = 64 * 1024

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.staging = out_dir / ".manifests.partial"
        #: After :meth:`commit`, a folder holding the previous render's manifests, for the caller to delete.
        self.discarded: Path | None = None
        for leftover in [self.staging, *out_dir.glob(f"{DISCARDED_PREFIX}*")]:  # from a run that was killed
            shutil.rmtree(leftover, ignore_errors=True)
        self.staging.mkdir(parents=True)
        previous = out_dir / "manifests"
        # The render worker has threads (Helm's Go runtime): spawn, never fork, the child.
        self._child = subprocess.Popen(
            [sys.executable, "-m", "infra.render.file_writer", str(self.staging),
             *([str(previous)] if previous.is_dir() else [])],
            stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        self._chunks: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._feeder = threading.Thread(target=self._feed, name="manifests", daemon=True)
        self._feeder.start()
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._owners: dict[Path, str] = {}  # manifest path -> URN of the object written there
        self._problems: list[str] = []
        self._closed = False

    def add(self, registration: Registration) -> None:
        """Write ``registration``'s manifest if it is a Kubernetes object (called by the
        recording monitor for every registration, in the order they arrive)."""
        obj = registration.inputs
        if not _is_object(registration.custom, registration.type, obj, read=registration.read_id is not None):
            return
        path = manifest_path(obj)
        if path in self._owners:
            self._problems.append(f"two objects render to {path}: {self._owners[path]} and {registration.urn}")
            return
        self._owners[path] = registration.urn
        self._buffer.append(file_writer.frame(path.as_posix(), orjson.dumps(obj)))
        self._buffered += len(self._buffer[-1])
        if self._buffered >= self.CHUNK:
            self._hand_over()

    def _hand_over(self) -> None:
        self._chunks.put(b"".join(self._buffer))
        self._buffer, self._buffered = [], 0

    def _feed(self) -> None:
        try:
            while (chunk := self._chunks.get()) is not None:
                self._child.stdin.write(chunk)
        except OSError:  # the child stopped early; it says why on stderr (see commit)
            pass
        finally:
            try:
                self._child.stdin.close()
            except OSError:
                pass

    def _close(self) -> str | None:
        """Send what is left and wait for the child; return its complaint if it failed."""
        self._closed = True
        self._hand_over()
        self._chunks.put(None)
        self._feeder.join()
        complaint = self._child.stderr.read().decode("utf-8", "replace").strip()
        self._child.stderr.close()
        if self._child.wait() != 0:
            return complaint or f"the manifest writer exited with {self._child.returncode}"
        return None

    def commit(self) -> None:
        """Wait for every file, then swap the staging folder in as ``manifests/``.

        The previous manifests are only moved aside, into :attr:`discarded`: deleting a
        region's ~1,500 files takes ~0.2 s, which the caller spends off the critical path
        (``render_stacks`` deletes them on a thread of its own while the next stack renders).
        """
        failure = self._close()
        problems = sorted(self._problems) + ([failure] if failure else [])
        if problems:
            self.abandon()
            raise ValueError("; ".join(problems))
        manifests = self.out_dir / "manifests"
        if manifests.exists():
            self.discarded = Path(tempfile.mkdtemp(prefix=DISCARDED_PREFIX, dir=self.out_dir))
            manifests.rename(self.discarded / "manifests")
        self.staging.rename(manifests)

    def abandon(self) -> None:
        """Stop writing and remove the staging folder (a no-op after :meth:`commit`)."""
        if not self._closed:
            self._closed = True
            self._child.kill()
            self._chunks.put(None)
            self._feeder.join()
            self._child.wait()
            self._child.stderr.close()
        shutil.rmtree(self.staging, ignore_errors=True)


def write_stack(
    out_dir: Path,
    stack: str,
    registrations: list[Registration],
    outputs: dict[str, Any],
    manifests: ManifestWriter,
) -> dict[str, Any]:
    """Commit ``out_dir/manifests/**`` and write ``out_dir/plan.json``; return the plan.

    ``manifests`` is the writer that received the registrations while the program ran;
    the previous manifests it moved aside are left for the caller (``manifests.discarded``).
    """
    plan = plan_document(stack, registrations, outputs)
    manifests.commit()
    # orjson: the standard library's encoder is pure Python once indenting (1 s a region).
    (out_dir / "plan.json").write_bytes(orjson.dumps(plan, option=orjson.OPT_INDENT_2) + b"\n")
    return plan
