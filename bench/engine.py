"""`pulumi preview` with the real engine against the local control plane (make toolchain).

Two stacks, each previewed into a throw-away file backend:
- ``dev``: the embedded default, as ``make up-local`` previews it;
- one region: its StackReference reads a ``national`` stack seeded with the outputs of
  the offline national render (a real national ``up`` needs the Cluster API CRDs, which
  the local control plane does not have), every cluster's kubeconfig pointing at the
  local control plane, and ``localControlPlane`` set (third-party charts come from the
  national OCI mirror, which is not reachable here; their releases are skipped).

``pulumi stack init`` writes an encryption salt into ``stacks/Pulumi.<stack>.yaml``;
those files are restored afterwards, so the benchmark leaves the tree as it found it.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOOLCHAIN = REPO / ".toolchain" / "bin"
KUBECONFIG = REPO / ".local" / "cluster" / "kubeconfig"


def _cluster(command: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(REPO / "scripts" / "cluster.sh"), command], cwd=REPO, capture_output=True, text=True)


def unavailable() -> str | None:
    if not (TOOLCHAIN / "pulumi").exists():
        return "no local toolchain (make toolchain)"
    status = _cluster("up")
    if status.returncode != 0 or not KUBECONFIG.exists():
        return f"local control plane did not start: {status.stderr[-300:]}"
    return None


def _env(state: Path) -> dict[str, str]:
    return {**os.environ, "PATH": f"{TOOLCHAIN}:{os.environ['PATH']}",
            "PULUMI_HOME": str(REPO / ".local" / "pulumi-home"), "PULUMI_BACKEND_URL": f"file://{state}",
            "PULUMI_CONFIG_PASSPHRASE": "bench-only", "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true"}


def _pulumi(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(["pulumi", *args, "--non-interactive"], cwd=REPO, env=env, input=stdin,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"pulumi {' '.join(args)} failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return result.stdout


def _init(env: dict[str, str], stack: str) -> str:
    """``stack init``; return the salted config it wrote, and put the committed file back."""
    path = REPO / "stacks" / f"Pulumi.{stack}.yaml"
    committed = path.read_text()
    try:
        _pulumi(env, "stack", "init", stack)
        return path.read_text()
    finally:
        path.write_text(committed)


def _preview(env: dict[str, str], stack: str, config: Path, repeat: int) -> dict:
    runs, resources = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        out = _pulumi(env, "preview", "-s", stack, "--config-file", str(config))
        runs.append(time.perf_counter() - started)
        found = re.search(r"\+ (\d+) to create", out)
        resources = int(found.group(1)) if found else 0
    seconds = statistics.median(runs)
    return {"seconds": seconds, "runs": [round(r, 1) for r in runs], "resources": resources,
            "ms_per_resource": round(1000 * seconds / max(resources, 1), 1)}


def bench_previews(work: Path, national_plan: Path, region: str, repeat: int) -> dict:
    was_running = _cluster("status").returncode == 0
    try:
        reason = unavailable()
        if reason:
            return {"available": False, "reason": reason}
        return _previews(work, national_plan, region, repeat)
    finally:
        if not was_running:
            _cluster("down")  # leave the machine as the benchmark found it


def _previews(work: Path, national_plan: Path, region: str, repeat: int) -> dict:
    state = work / "engine-state"
    state.mkdir(parents=True, exist_ok=True)
    env = _env(state)
    kubeconfig = KUBECONFIG.read_text()

    dev_config = work / "Pulumi.dev.yaml"
    dev_config.write_text(_init(env, "dev"))
    _pulumi(env, "config", "set", "--secret", "imaging-cloud:kubeconfig", "-s", "dev", "--config-file",
            str(dev_config), stdin=kubeconfig)

    outputs = json.loads(national_plan.read_text())["outputs"]
    outputs["kubeconfigs"] = {cluster: kubeconfig for cluster in outputs.get("clusters", {})}
    _init(env, "national")
    deployment = {"version": 3, "deployment": {
        "manifest": {"time": "2026-01-01T00:00:00Z", "magic": "", "version": ""},
        "resources": [{"urn": "urn:pulumi:national::imaging-cloud::pulumi:pulumi:Stack::imaging-cloud-national",
                       "custom": False, "type": "pulumi:pulumi:Stack", "outputs": outputs}]}}
    seeded = work / "national-deployment.json"
    seeded.write_text(json.dumps(deployment))
    _pulumi(env, "stack", "import", "-s", "national", "--file", str(seeded))

    _init(env, region)
    region_config = work / f"Pulumi.{region}.yaml"
    region_config.write_text(
        (REPO / "stacks" / f"Pulumi.{region}.yaml").read_text().rstrip("\n")
        + '\n  imaging-cloud:localControlPlane: "true"\n'
    )
    return {"available": True, "dev": _preview(env, "dev", dev_config, repeat),
            "region": {"stack": region, **_preview(env, region, region_config, repeat)}}
