"""Import the NHS organisation register into the estate's per-region trust files.

Run once when the register changes (it is not read at run time):

    python tools/import_trusts.py ../shared/data/nhs-organisations.csv stacks/estate

The register gives ODS codes, names, kinds, regions and postcodes. This script adds the
platform's own choices, each a default a trust can change in its entry:
- hospital_networks: a /22 per trust from the national address plan (docs/address-plan.md),
  a placeholder for the trust's HSCN ranges, which replace it at onboarding;
- retention_class: paediatric for children's trusts, oncology for cancer centres;
- size: large for acute trusts, small for ambulance, community and other organisations.
Existing entries keep any field an engineer edited by hand.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import yaml

#: Region order fixes each region's second octet in the address plan (10.<n>.0.0/16).
REGION_OCTET = {
    "london": 1,
    "south-east": 2,
    "south-west": 3,
    "east-of-england": 4,
    "midlands": 5,
    "north-east-and-yorkshire": 6,
    "north-west": 7,
    "wales": 8,
}
CHILDRENS = ("children",)
CANCER = ("cancer", "christie", "marsden", "velindre")
SIZE = {"acute-trust": "large", "specialist-trust": "medium", "mental-health-trust": "medium"}

HEADER = """\
# yaml-language-server: $schema=../../schemas/trusts.schema.json
# Trusts of the {region} region. Onboard a trust by adding one entry; see docs/onboarding.md.
# Source: the NHS organisation register (ODS, about July 2026), imported by tools/import_trusts.py.
# hospital_networks are address-plan placeholders until the trust's HSCN ranges are recorded.
"""


def default_retention(name: str) -> str:
    lowered = name.lower()
    if any(word in lowered for word in CANCER):
        return "oncology-imaging"
    if any(word in lowered for word in CHILDRENS):
        return "paediatric-imaging"
    return "adult-imaging"


def main(csv_path: str, estate_dir: str) -> None:
    rows = list(csv.DictReader(open(csv_path, encoding="utf-8")))
    by_region: dict[str, list[dict]] = {}
    for row in rows:
        by_region.setdefault(row["region"], []).append(row)
    for region, members in by_region.items():
        path = Path(estate_dir) / "trusts" / f"{region}.yaml"
        existing = {}
        if path.exists():
            existing = {t["ods_code"]: t for t in (yaml.safe_load(path.read_text()) or {}).get("trusts", [])}
        entries = []
        for index, row in enumerate(sorted(members, key=lambda r: r["ods_code"])):
            entry = {
                "ods_code": row["ods_code"],
                "name": row["name"],
                "kind": row["kind"],
            }
            if row["postcode"]:
                entry["postcode"] = row["postcode"]
            entry["retention_class"] = default_retention(row["name"])
            entry["size"] = SIZE.get(row["kind"], "small")
            entry["hospital_networks"] = [f"10.{REGION_OCTET[region]}.{index * 4}.0/22"]
            entry.update(existing.get(row["ods_code"], {}))
            entries.append(entry)
        body = yaml.safe_dump({"region": region, "trusts": entries}, sort_keys=False, allow_unicode=True, width=120)
        path.write_text(HEADER.format(region=region) + body, encoding="utf-8")
        print(f"{path}: {len(entries)} trusts")


if __name__ == "__main__":
    main(*sys.argv[1:3])
