"""Stack settings: which layer a stack is, which region, which estate data.

Read from the stack's ``stacks/Pulumi.<stack>.yaml`` through ``pulumi.Config`` (the
real engine and the offline renderer feed it the same file), validated by pydantic so a
typo fails with the file and key named.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from infra import yamlio
from infra.model.base import Slug, StrictModel

PROJECT = "imaging-cloud"
REPO_ROOT = Path(__file__).resolve().parent.parent
#: Where stack files and estate data live; benchmarks point it at synthetic estates.
STACKS_DIR = Path(os.environ.get("IMAGING_CLOUD_STACKS_DIR", REPO_ROOT / "stacks")).resolve()
#: Pod Security Standards version pinned in namespace labels (the clusters' minor).
POD_SECURITY_VERSION = "v1.35"


class StackSettingsError(Exception):
    pass


class StackSettings(StrictModel):
    """The ``imaging-cloud:*`` keys of a stack config file."""

    stack: str
    role: Literal["national", "region", "dev"]
    region: Slug | None = None
    estate: str = Field(default="estate", pattern=r"^[a-z0-9][-a-z0-9/]*$")
    national_stack: str | None = None
    as_of: dt.date | None = None
    local_control_plane: bool = False

    @model_validator(mode="after")
    def _coherent(self) -> StackSettings:
        if self.role in ("region", "dev") and not self.region:
            raise ValueError(f"role {self.role!r} needs imaging-cloud:region")
        if self.role == "region" and not self.national_stack:
            raise ValueError("role 'region' needs imaging-cloud:nationalStack (the StackReference to the hub)")
        return self

    @property
    def estate_dir(self) -> Path:
        return STACKS_DIR / self.estate

    @property
    def agreements_date(self) -> dt.date:
        return self.as_of or dt.date.today()

    @staticmethod
    def from_values(stack: str, values: dict[str, str]) -> StackSettings:
        """Build from raw config strings; errors name the stack file and key."""
        raw = {
            "stack": stack,
            "role": values.get("role") or None,
            "region": values.get("region") or None,
            "estate": values.get("estate") or "estate",
            "national_stack": values.get("nationalStack") or None,
            "as_of": values.get("asOf") or None,
            "local_control_plane": (values.get("localControlPlane") or "false").lower() == "true",
        }
        keys = {"role": "role", "region": "region", "estate": "estate", "national_stack": "nationalStack", "as_of": "asOf", "local_control_plane": "localControlPlane"}
        try:
            if raw["as_of"] is not None:
                raw["as_of"] = dt.date.fromisoformat(raw["as_of"])
            return StackSettings.model_validate({k: v for k, v in raw.items() if v is not None})
        except ValueError as failure:
            where = f"stacks/Pulumi.{stack}.yaml"
            if isinstance(failure, ValidationError):
                lines = []
                for error in failure.errors():
                    key = keys.get(str(error["loc"][0]), "") if error["loc"] else ""
                    prefix = f"config.{PROJECT}:{key}: " if key else "config: "
                    lines.append(f"{where}: {prefix}{error['msg'].removeprefix('Value error, ')}")
                raise StackSettingsError("\n".join(lines)) from None
            raise StackSettingsError(f"{where}: config.{PROJECT}:asOf: {failure}") from None


def read_stack_settings(stack: str) -> StackSettings:
    """Settings straight from ``stacks/Pulumi.<stack>.yaml``, without the Pulumi runtime."""
    
    config = (yamlio.load((STACKS_DIR / f"Pulumi.{stack}.yaml").read_text()) or {}).get("config") or {}
    values = {k.split(":", 1)[1]: str(v) for k, v in config.items() if k.startswith(f"{PROJECT}:")}
    return StackSettings.from_values(stack, values)


def from_pulumi_config() -> StackSettings:
    import pulumi

    config = pulumi.Config(PROJECT)
    values = {key: config.get(key) or "" for key in ("role", "region", "estate", "nationalStack", "asOf", "localControlPlane")}
    return StackSettings.from_values(pulumi.get_stack(), values)
