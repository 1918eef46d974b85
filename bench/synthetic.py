"""Synthetic estates of N trusts in one region, for the cost-per-trust curve.

The national settings and retention classes are the real ones; trusts get synthetic ODS
codes (``Z`` + 4 digits, a prefix the NHS does not use) and /24 hospital networks; one
agreement per 10 trusts keeps exchange routes in the mix.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent


def write_estate(root: Path, trusts: int) -> Path:
    """Create ``root/stacks`` with a ``bench`` stack of ``trusts`` trusts; return it."""
    stacks = root / "stacks"
    estate = stacks / "estate-bench"
    (estate / "trusts").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "stacks" / "estate" / "estate.yaml", estate / "estate.yaml")
    settings = yaml.safe_load((estate / "estate.yaml").read_text())
    settings["hub"]["region"] = "bench"
    (estate / "estate.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    regions = yaml.safe_load((REPO / "stacks" / "estate" / "regions.yaml").read_text())["regions"][:2]
    regions[0]["name"], regions[1]["name"] = "bench", "bench-replica"
    regions[0]["replica_region"], regions[1]["replica_region"] = "bench-replica", "bench"
    for region in regions:
        region["clusters"][0]["name"] = f"{region['name']}-workload"
    (estate / "regions.yaml").write_text(yaml.safe_dump({"regions": regions}, sort_keys=False))
    entries = [
        {
            "ods_code": f"Z{i:04d}",
            "name": f"Synthetic Trust {i}",
            "kind": "acute-trust",
            "retention_class": "adult-imaging",
            "size": "medium",
            "hospital_networks": [f"10.{20 + i // 256}.{i % 256}.0/24"],
        }
        for i in range(trusts)
    ]
    (estate / "trusts" / "bench.yaml").write_text(yaml.safe_dump({"region": "bench", "trusts": entries}, sort_keys=False))
    (estate / "trusts" / "bench-replica.yaml").write_text(yaml.safe_dump({"region": "bench-replica", "trusts": []}))
    today = dt.date(2026, 1, 1)
    agreements = [
        {
            "id": f"dsa-bench-{i:04d}", "provider": f"Z{i:04d}", "consumer": f"Z{i + 1:04d}",
            "services": ["dicomweb"], "purpose": "benchmark", "reference": f"BENCH/{i}",
            "approved_by": "benchmark", "approved_on": today, "expires_on": today.replace(year=2030),
        }
        for i in range(0, trusts - 1, 10)
    ]
    (estate / "sharing-agreements.yaml").write_text(yaml.safe_dump({"agreements": agreements}, sort_keys=False))
    (stacks / "Pulumi.bench.yaml").write_text(yaml.safe_dump({"config": {
        "imaging-cloud:role": "dev", "imaging-cloud:region": "bench", "imaging-cloud:estate": "estate-bench",
    }}))
    return stacks
