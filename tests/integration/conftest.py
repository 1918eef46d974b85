"""The real engine against a real local API server (make toolchain; make cluster-up).

Everything runs with the binaries built from Go modules: the Pulumi CLI, the Python
language host, the Kubernetes provider plugin, kube-apiserver + controller-manager on kine.
State lives in a temporary file backend; the stack's kubeconfig secret is encrypted in a
temporary copy of stacks/Pulumi.dev.yaml, never in the committed file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLCHAIN = REPO / ".toolchain" / "bin"
KUBECONFIG = REPO / ".local" / "cluster" / "kubeconfig"


@pytest.fixture(scope="session")
def local_cluster():
    if not (TOOLCHAIN / "pulumi").exists():
        pytest.fail("the toolchain is missing: run `make toolchain` (.ci/run does)")
    started = subprocess.run(["scripts/cluster.sh", "up"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert started.returncode == 0, started.stdout + started.stderr
    yield KUBECONFIG
    subprocess.run(["scripts/cluster.sh", "purge"], cwd=REPO, capture_output=True, text=True, timeout=300)


class Engine:
    """Runs the real `pulumi` CLI in a private backend with the repo's plugins."""

    def __init__(self, home: Path, kubeconfig: Path):
        self.state = home / "state"
        self.state.mkdir(parents=True, exist_ok=True)
        self.kubeconfig = kubeconfig
        self.env = {
            **os.environ,
            "PATH": f"{TOOLCHAIN}:{os.environ['PATH']}",
            "PULUMI_HOME": str(REPO / ".local" / "pulumi-home"),
            "PULUMI_BACKEND_URL": f"file://{self.state}",
            "PULUMI_CONFIG_PASSPHRASE": "integration-tests-only",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "KUBECONFIG": str(kubeconfig),
        }

    def run(self, *args: str, cwd: Path = REPO, timeout: int = 900) -> subprocess.CompletedProcess:
        # The passphrase provider writes its salt into stacks/Pulumi.<stack>.yaml; the
        # committed file must stay as it is, so it is put back after every command.
        committed = {p: p.read_text() for p in (REPO / "stacks").glob("Pulumi.*.yaml")}
        try:
            return subprocess.run(["pulumi", *args, "--non-interactive"], cwd=cwd, env=self.env,
                                  capture_output=True, text=True, timeout=timeout)
        finally:
            for path, text in committed.items():
                if path.read_text() != text:
                    path.write_text(text)
            for path in (REPO / "stacks").glob("Pulumi.*.yaml"):
                if path not in committed:
                    path.unlink()

    def init(self, stack: str, config_file: Path, cwd: Path = REPO) -> None:
        created = self.run("stack", "init", stack, cwd=cwd)
        assert created.returncode == 0 or "already exists" in created.stderr, created.stderr
        key = "imaging-cloud:kubeconfig" if cwd == REPO else "kubeconfig"
        secret = subprocess.run(
            ["pulumi", "config", "set", "--secret", key, "-s", stack, "--config-file", str(config_file),
             "--non-interactive"],
            cwd=cwd, env=self.env, input=self.kubeconfig.read_text(), capture_output=True, text=True, timeout=120,
        )
        assert secret.returncode == 0, secret.stderr


@pytest.fixture(scope="session")
def engine(local_cluster, tmp_path_factory) -> Engine:
    return Engine(tmp_path_factory.mktemp("pulumi"), local_cluster)


@pytest.fixture(scope="session")
def dev_config(engine, tmp_path_factory) -> Path:
    """A private copy of stacks/Pulumi.dev.yaml holding the encrypted kubeconfig."""
    config = tmp_path_factory.mktemp("config") / "Pulumi.dev.yaml"
    shutil.copy(REPO / "stacks" / "Pulumi.dev.yaml", config)
    engine.init("dev", config)
    return config
