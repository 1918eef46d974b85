"""Read the estate files and report every problem as ``file:line: field.path: message``.

A platform engineer who mistypes an ODS code gets one line that names the file, the
line, the field and what to do, never a traceback. Nothing is deployed when loading
fails: the Pulumi program and the CLI both load the estate before creating anything.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from infra import yamlio
from infra.model.base import ODS_CODE_PATTERN
from infra.model.estate import (
    AgreementsFile,
    Estate,
    EstateIssue,
    EstateSettings,
    RegionsFile,
    Trust,
    TrustFile,
)

#: libyaml's parser when PyYAML has it (it does on the supported platforms), else Python's.

ESTATE_FILE = "estate.yaml"
REGIONS_FILE = "regions.yaml"
AGREEMENTS_FILE = "sharing-agreements.yaml"
TRUSTS_DIR = "trusts"

#: Friendlier words for the patterns pydantic would otherwise quote verbatim.
_PATTERN_MEANING = {
    ODS_CODE_PATTERN: "an ODS code is 3 or 5 upper-case letters or digits, e.g. 'RJ1' or 'G6V2S'",
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$": "use lower-case letters, digits and '-' (a Kubernetes name)",
    r"^[A-Z0-9_]{1,16}$": "an AE title is 1-16 upper-case letters, digits or '_'",
}


@dataclasses.dataclass(frozen=True)
class EstateError:
    """One actionable problem in one estate file."""

    file: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class EstateLoadError(Exception):
    """Raised with every problem found; ``str()`` is the report to print."""

    def __init__(self, errors: list[EstateError]):
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


def field_path(loc: tuple[str | int, ...]) -> str:
    """``("trusts", 3, "ods_code")`` -> ``trusts[3].ods_code``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _SourceFile:
    """A parsed YAML file that can tell the line of a field path."""

    def __init__(self, path: Path, display: str):
        self.path = path
        self.display = display
        self.text = path.read_text(encoding="utf-8")
        self.data = yamlio.load(self.text)

    def line_of(self, loc: tuple[str | int, ...]) -> int | None:
        # Composing the node tree costs as much as parsing: only done to report an error.
        node = yaml.compose(self.text, Loader=yamlio.LOADER)
        line = node.start_mark.line + 1 if node is not None else None
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                match = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
                if match is None:
                    break
                key_node = next(k for k, v in node.value if v is match)
                node, line = match, key_node.start_mark.line + 1
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line

    def error(self, loc: tuple[str | int, ...], message: str) -> EstateError:
        return EstateError(self.display, field_path(loc), message, self.line_of(loc))


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        meaning = _PATTERN_MEANING.get(pattern)
        if meaning:
            return f"{error['input']!r} is not valid: {meaning}"
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; the schema lists the allowed fields)"
    if kind == "literal_error":
        return f"{error['input']!r} is not allowed: {error['msg'].removeprefix('Input should be ')}"
    if kind == "missing":
        return "required field is missing"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    return error["msg"]


def _validate(source: _SourceFile, model: type[BaseModel], errors: list[EstateError]) -> Any:
    try:
        return model.model_validate(source.data if source.data is not None else {})
    except ValidationError as failure:
        for detail in failure.errors():
            errors.append(source.error(tuple(detail["loc"]), _message(detail)))
        return None


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_estate(directory: Path | str) -> Estate:
    """Load and validate the estate in ``directory`` or raise :class:`EstateLoadError`."""
    directory = Path(directory)
    errors: list[EstateError] = []
    if not directory.is_dir():
        raise EstateLoadError([EstateError(_display(directory), "", "estate directory not found")])

    sources: dict[str, _SourceFile] = {}

    def read(path: Path) -> _SourceFile | None:
        display = _display(path)
        if not path.is_file():
            errors.append(EstateError(display, "", "file not found"))
            return None
        try:
            source = _SourceFile(path, display)
        except yaml.YAMLError as failure:
            mark = getattr(failure, "problem_mark", None)
            errors.append(
                EstateError(display, "", f"not valid YAML: {getattr(failure, 'problem', failure)}", mark.line + 1 if mark else None)
            )
            return None
        sources[display] = source
        return source

    settings_src = read(directory / ESTATE_FILE)
    regions_src = read(directory / REGIONS_FILE)
    agreements_src = read(directory / AGREEMENTS_FILE)
    trust_srcs = [read(path) for path in sorted((directory / TRUSTS_DIR).glob("*.yaml"))]

    settings = _validate(settings_src, EstateSettings, errors) if settings_src else None
    regions = _validate(regions_src, RegionsFile, errors) if regions_src else None
    agreements = _validate(agreements_src, AgreementsFile, errors) if agreements_src else None

    trusts: list[Trust] = []
    trust_origin: list[tuple[_SourceFile, int]] = []
    for source in trust_srcs:
        if source is None:
            continue
        trust_file = _validate(source, TrustFile, errors)
        if trust_file is None:
            continue
        expected = source.path.stem
        if trust_file.region != expected:
            errors.append(
                source.error(("region",), f"region {trust_file.region!r} does not match the file name {expected!r}.yaml")
            )
        for index, entry in enumerate(trust_file.trusts):
            trusts.append(Trust(**entry.model_dump(), region=trust_file.region))
            trust_origin.append((source, index))

    if errors or not (settings and regions and agreements):
        raise EstateLoadError(errors)

    try:
        return Estate(
            name=settings.name,
            hub=settings.hub,
            zones=settings.zones,
            retention_classes=settings.retention_classes,
            regions=regions.regions,
            trusts=trusts,
            sharing_agreements=agreements.agreements,
        )
    except ValidationError as failure:
        for detail in failure.errors():
            cause = detail.get("ctx", {}).get("error")
            issues = cause.issues if isinstance(cause, EstateIssue) else [(tuple(detail["loc"]), _message(detail))]
            for loc, message in issues:
                errors.append(_locate(loc, message, settings_src, regions_src, agreements_src, trust_origin))
        raise EstateLoadError(errors) from None


def _locate(loc, message, settings_src, regions_src, agreements_src, trust_origin) -> EstateError:
    """Map a path in the assembled estate back to the file and field it came from."""
    head, rest = loc[0], tuple(loc[1:])
    if head == "trusts" and rest and isinstance(rest[0], int):
        source, index = trust_origin[rest[0]]
        if rest[1:] == ("region",):
            return source.error(("region",), message)
        return source.error(("trusts", index, *rest[1:]), message)
    if head == "regions":
        return regions_src.error(loc, message)
    if head == "sharing_agreements":
        return agreements_src.error(("agreements", *rest), message)
    return settings_src.error(loc, message)
