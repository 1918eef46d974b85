"""Third-party verifiers, each from its own tool virtualenv (``make judges``)."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NCA = REPO / ".tools" / "nca" / "bin" / "nca"


def run_nca(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    if not NCA.exists():
        pytest.fail(f"{NCA} is missing: run `make judges` (make test does it)")
    return subprocess.run([str(NCA), *args], capture_output=True, text=True, timeout=timeout)


def connectivity(manifests: Path, out: Path) -> list[dict[str, str]]:
    """network-config-analyzer's connectivity map of ``manifests`` as CSV rows."""
    result = run_nca("--connectivity", "-r", str(manifests), "-o", "csv", "-f", str(out))
    assert out.exists(), result.stdout + result.stderr
    rows = list(csv.reader(io.StringIO(out.read_text())))
    header = rows[0]
    return [dict(zip(header, row)) for row in rows[2:] if any(row)]


@pytest.fixture(scope="session")
def nca_connectivity():
    """The connectivity function, as a fixture (test modules are not importable)."""
    return connectivity


CHECKOV = REPO / ".tools" / "checkov" / "bin" / "checkov"


@pytest.fixture(scope="session")
def checkov_scan():
    """Run checkov over a manifests directory; return its JSON report."""
    import json

    def scan(manifests: Path) -> dict:
        if not CHECKOV.exists():
            pytest.fail(f"{CHECKOV} is missing: run `make judges` (make test does it)")
        result = subprocess.run(
            [str(CHECKOV), "-d", str(manifests), "--framework", "kubernetes", "-o", "json", "--compact"],
            capture_output=True, text=True, timeout=1200,
        )
        report = json.loads(result.stdout)
        return report[0] if isinstance(report, list) else report

    return scan
