"""Detection content: the files next to this module, and what is generated from the estate.

- ``falco/*.yaml``: Falco rules (syscall source) for every workload cluster's Falco. The
  lists they reference are generated per cluster by :func:`falco_lists` and shipped as
  ``00-imaging-lists.yaml``, loaded before the rules.
- ``sigma/*.yml``: Sigma rules (and Sigma correlation rules) over what the clusters ship to
  the hub: the API server audit log and the ingress access log, tagged with
  ``imaging.{region,cluster,trust}``. The hub loads them into OpenSearch Security Analytics.
- ``prometheus/*.yaml``: agent-health alert rules of the hub's Prometheus, plus one
  generated "not reporting" rule per expected cluster (:func:`prometheus_rule_groups`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from infra import yamlio

RULES_DIR = Path(__file__).resolve().parent
FALCO_DIR = RULES_DIR / "falco"
SIGMA_DIR = RULES_DIR / "sigma"
PROMETHEUS_DIR = RULES_DIR / "prometheus"

#: Falco list items cannot be empty portably; this entry can never be a namespace name
#: (namespaces are DNS labels), so a list holding only it matches nothing.
FALCO_NONE = "<none>"
FALCO_LISTS_FILE = "00-imaging-lists.yaml"
#: The lists generated per cluster, and what they hold.
FALCO_GENERATED_LISTS = {
    "imaging_trust_namespaces": "namespaces of the trusts hosted on this cluster",
    "imaging_same_cluster_consumers": "trust namespaces consuming a live agreement whose provider is on this cluster",
    "imaging_cross_cluster_consumers": "trust namespaces consuming a live agreement whose provider is on another cluster",
}


def _load_yaml(path: Path) -> Any:
    return yamlio.load(path.read_text(encoding="utf-8"))


def falco_rule_files() -> dict[str, str]:
    """Static Falco rule files, by file name (their text, verbatim)."""
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(FALCO_DIR.glob("*.yaml"))}


def falco_lists(
    trust_namespaces: Iterable[str],
    same_cluster_consumers: Iterable[str] = (),
    cross_cluster_consumers: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """The per-cluster Falco lists (YAML items) the static rules reference."""
    values = {
        "imaging_trust_namespaces": trust_namespaces,
        "imaging_same_cluster_consumers": same_cluster_consumers,
        "imaging_cross_cluster_consumers": cross_cluster_consumers,
    }
    return [{"list": name, "items": sorted(set(values[name])) or [FALCO_NONE]} for name in FALCO_GENERATED_LISTS]


def falco_custom_rules(
    trust_namespaces: Iterable[str],
    same_cluster_consumers: Iterable[str] = (),
    cross_cluster_consumers: Iterable[str] = (),
) -> dict[str, str]:
    """The Falco chart's ``customRules``: generated lists first, then the static rules."""
    header = "# Generated from the estate by infra/monitoring/rules: do not edit.\n"
    lists = header + yamlio.dump(
        falco_lists(trust_namespaces, same_cluster_consumers, cross_cluster_consumers), sort_keys=False
    )
    files = {FALCO_LISTS_FILE: lists}
    for index, (name, text) in enumerate(falco_rule_files().items(), start=1):
        files[f"{index * 10:02d}-{name}"] = text
    return files


def sigma_rule_files() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(SIGMA_DIR.glob("*.yml"))}


def sigma_rules() -> list[dict[str, Any]]:
    """Every Sigma document (detection and correlation rules)."""
    return [_load_yaml(SIGMA_DIR / name) for name in sigma_rule_files()]


def prometheus_rule_groups(expected_clusters: Iterable[tuple[str, str]] = ()) -> list[dict[str, Any]]:
    """The static health groups plus a "not reporting" rule per (region, cluster)."""
    groups: list[dict[str, Any]] = []
    for path in sorted(PROMETHEUS_DIR.glob("*.yaml")):
        groups += _load_yaml(path)["groups"]
    reporting = [
        {
            "alert": "ImagingClusterNotReporting",
            "expr": f'absent_over_time(up{{region="{region}", cluster="{cluster}"}}[15m])',
            "for": "5m",
            "labels": {"severity": "high", "category": "agent-health", "region": region, "cluster": cluster},
            "annotations": {
                "summary": f"No metrics from cluster {cluster} ({region}) for 15 minutes",
                "description": "The cluster's agents cannot reach the hub, or are down: its security events are "
                               "buffered on its disks until they can.",
            },
        }
        for region, cluster in sorted(set(expected_clusters))
    ]
    if reporting:
        groups.append({"name": "imaging-clusters-reporting", "rules": reporting})
    return groups
