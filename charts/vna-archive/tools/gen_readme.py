#!/usr/bin/env python3
"""Regenerate the parameter table of charts/vna-archive/README.md from values.yaml.

values.yaml documents every value with a `## @param <path> <description>` line and groups them
with `## @section <title>` lines. This script turns those lines into the Markdown table found
between the `<!-- parameters:start -->` and `<!-- parameters:end -->` markers of the README.

    python charts/vna-archive/tools/gen_readme.py          # rewrite the table in place
    python charts/vna-archive/tools/gen_readme.py --check  # exit 1 if the README is stale

tests/archive/test_archive_chart_docs.py runs the check, so a values change without a README refresh
fails the build. Standard library and PyYAML only.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

CHART_DIR = Path(__file__).resolve().parent.parent
START = "<!-- parameters:start -->"
END = "<!-- parameters:end -->"
_PARAM = re.compile(r"^\s*## @param (?P<path>\S+) (?P<desc>.+?)\s*$")
_SECTION = re.compile(r"^\s*## @section (?P<title>.+?)\s*$")
_MISSING = object()


def parse_params(values_text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Sections in file order, each with its (path, description) pairs in file order."""
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    for line in values_text.splitlines():
        if match := _SECTION.match(line):
            sections.append((match["title"], []))
        elif match := _PARAM.match(line):
            if not sections:
                sections.append(("Parameters", []))
            sections[-1][1].append((match["path"], match["desc"]))
    return sections


def lookup(values: dict[str, Any], path: str) -> Any:
    """The default value at a dotted path; list item fields (`a[].b`) have no default."""
    if "[]" in path:
        return _MISSING
    node: Any = values
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"@param {path} does not exist in values.yaml")
        node = node[part]
    return node


def _cell(value: Any) -> str:
    if value is _MISSING:
        return ""
    return "`" + json.dumps(value, separators=(", ", ": ")).replace("|", "\\|") + "`"


def render_table(values_text: str) -> str:
    values = yaml.safe_load(values_text)
    out: list[str] = []
    for title, params in parse_params(values_text):
        out += [f"### {title}", "", "| Name | Description | Default |", "| --- | --- | --- |"]
        for path, desc in params:
            escaped = desc.replace("|", r"\|")
            out.append(f"| `{path}` | {escaped} | {_cell(lookup(values, path))} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def updated_readme(readme_text: str, values_text: str) -> str:
    head, sep, rest = readme_text.partition(START)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise ValueError(f"README.md lacks the {START} / {END} markers")
    return f"{head}{START}\n{render_table(values_text)}{END}{tail}"


def main(argv: list[str]) -> int:
    readme = CHART_DIR / "README.md"
    current = readme.read_text(encoding="utf-8")
    wanted = updated_readme(current, (CHART_DIR / "values.yaml").read_text(encoding="utf-8"))
    if "--check" in argv:
        if current != wanted:
            print("charts/vna-archive/README.md is stale: run charts/vna-archive/tools/gen_readme.py", file=sys.stderr)
            return 1
        return 0
    if current != wanted:
        readme.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
