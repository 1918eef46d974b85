"""The chart's documentation stays true: parameter table, @param coverage, schema coverage."""

from __future__ import annotations

import importlib.util
import json
import re

import yaml

import vna_archive_harness as h

VALUES_TEXT = (h.CHART / "values.yaml").read_text(encoding="utf-8")
README = (h.CHART / "README.md").read_text(encoding="utf-8")
SCHEMA = json.loads((h.CHART / "values.schema.json").read_text(encoding="utf-8"))


def _gen_readme():
    spec = importlib.util.spec_from_file_location("gen_readme", h.CHART / "tools" / "gen_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _documented() -> list[str]:
    return [path for _, params in _gen_readme().parse_params(VALUES_TEXT) for path, _ in params]


def _leaves(node, prefix=""):
    """Every value path in values.yaml (empty maps and lists count as leaves)."""
    if isinstance(node, dict) and node:
        for key, child in node.items():
            yield from _leaves(child, f"{prefix}.{key}" if prefix else key)
    else:
        yield prefix


def _schema_paths(node, prefix=""):
    for name, child in node.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        yield path
        yield from _schema_paths(child, path)
    if isinstance(node.get("items"), dict):
        yield from _schema_paths(node["items"], f"{prefix}[]")


def test_it_should_keep_the_readme_parameter_table_generated_from_values_yaml():
    assert _gen_readme().updated_readme(README, VALUES_TEXT) == README, (
        "charts/vna-archive/README.md is stale: run python charts/vna-archive/tools/gen_readme.py"
    )


def test_it_should_document_every_value_with_a_param_line():
    documented = set(_documented())
    missing = [leaf for leaf in _leaves(yaml.safe_load(VALUES_TEXT)) if leaf not in documented]
    assert missing == []


def test_it_should_document_each_value_once():
    documented = _documented()
    assert len(documented) == len(set(documented))


def test_it_should_have_a_schema_entry_for_every_documented_value_and_the_reverse():
    schema_paths = set(_schema_paths(SCHEMA)) - {"global"}
    documented = set(_documented())
    # Intermediate objects (e.g. "orthanc.tls") are described in the schema, not as @param rows.
    containers = {p for p in schema_paths if any(q.startswith(p + ".") or q.startswith(p + "[]") for q in schema_paths)}
    assert documented - schema_paths == set()
    assert schema_paths - containers - documented == set()


def test_it_should_state_why_each_debian_override_exists_in_the_readme():
    for key in h.DEBIAN_OVERRIDES:
        assert f"`{key}`" in README, key


def test_it_should_explain_how_to_run_the_host_checks_against_a_pod():
    assert re.search(r"kubectl://\S+\?namespace=", README)
    assert "ARCHIVE_HOST" in README and "--archive-host" in README
