"""JSON schemas of the estate files, for editor completion and CI checks.

Generated from the same pydantic file models the loader validates with, so the
schemas cannot say something the loader does not enforce. ``tests`` fail when the
committed copies under ``stacks/schemas/`` are stale (``make schemas`` refreshes them).
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from infra.model.estate import AgreementsFile, EstateSettings, RegionsFile, TrustFile

SCHEMAS: dict[str, type[BaseModel]] = {
    "estate.schema.json": EstateSettings,
    "regions.schema.json": RegionsFile,
    "trusts.schema.json": TrustFile,
    "sharing-agreements.schema.json": AgreementsFile,
}


def schema_text(model: type[BaseModel]) -> str:
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = model.__name__
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, model in SCHEMAS.items():
        path = directory / filename
        path.write_text(schema_text(model), encoding="utf-8")
        written.append(path)
    return written
