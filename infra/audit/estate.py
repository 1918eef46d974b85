"""What the report draws: the estate (regions, clusters, trusts, agreements) and who can
talk to whom, derived from the rendered resources only (never from the estate files), so
the pictures show what would be deployed.

Connectivity follows NetworkPolicy semantics at namespace granularity: a flow A -> B
exists when A's egress allows B (or no egress policy selects A's pods) and B's ingress
allows A (likewise). Pod selectors are ignored, so the picture over-approximates: it can
show a flow that only some pods have, never hide one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from infra.audit.pack import NETWORK_POLICY, peer_namespaces, peers

AGREEMENT_LABEL = "imaging.nhs.uk/sharing-agreement"
AGREEMENT = "imaging.nhs.uk/agreement-"
REGION_LABEL = "imaging.nhs.uk/region"
TRUST_LABEL = "imaging.nhs.uk/trust"
ZONE_LABEL = "imaging.nhs.uk/zone"


@dataclasses.dataclass
class Trust:
    ods: str
    name: str
    namespace: str
    cluster: str
    region: str
    retention: str


@dataclasses.dataclass
class Agreement:
    id: str
    provider: str
    consumer: str
    services: str
    approved_on: str
    expires_on: str
    live: bool
    clusters: set[str] = dataclasses.field(default_factory=set)


@dataclasses.dataclass
class Cluster:
    name: str
    region: str = ""
    version: str = ""
    role: str = "workload"  # workload | management


@dataclasses.dataclass
class Flow:
    source: str
    target: str
    ports: str
    category: str  # self | platform | agreement | unapproved
    agreement: str = ""


@dataclasses.dataclass
class Connectivity:
    cluster: str
    namespaces: list[str]
    flows: dict[tuple[str, str], Flow]
    external: list[tuple[str, str, str, str]]  # (namespace, direction, cidr, ports)


@dataclasses.dataclass
class Estate:
    clusters: dict[str, Cluster] = dataclasses.field(default_factory=dict)
    trusts: dict[str, Trust] = dataclasses.field(default_factory=dict)
    agreements: dict[str, Agreement] = dataclasses.field(default_factory=dict)
    connectivity: list[Connectivity] = dataclasses.field(default_factory=list)

    @property
    def regions(self) -> dict[str, list[Cluster]]:
        found: dict[str, list[Cluster]] = defaultdict(list)
        for cluster in sorted(self.clusters.values(), key=lambda c: c.name):
            if cluster.role == "workload":
                found[cluster.region or "(unknown region)"].append(cluster)
        return dict(sorted(found.items()))


def _live(approved: str, expires: str, as_of: dt.date) -> bool:
    try:
        return dt.date.fromisoformat(approved) <= as_of < dt.date.fromisoformat(expires)
    except ValueError:
        return False


def _ports(rule: Mapping[str, Any]) -> str:
    ports = rule.get("ports") or []
    if not ports:
        return "any"
    return ",".join(f"{p.get('port', '*')}/{p.get('protocol', 'TCP')}" for p in ports if isinstance(p, dict))


def connectivity(cluster: str, resources: Iterable[Any]) -> Connectivity:
    """Namespace-to-namespace flows of one cluster from its Namespaces and NetworkPolicies."""
    resources = list(resources)
    labels = {r.object_name: dict(r.labels) for r in resources if r.gk == "Namespace"}
    policies = [r for r in resources if r.gk == NETWORK_POLICY]
    referenced: set[str] = set()
    isolated: dict[str, set[str]] = defaultdict(set)  # namespace -> {"ingress", "egress"}
    allows: dict[tuple[str, str], dict[tuple[str, str], tuple[str, str]]] = defaultdict(dict)
    external = []
    for policy in policies:
        ns = policy.namespace or ""
        spec = policy.props.get("spec") or {}
        types = spec.get("policyTypes") or (["Ingress"] + (["Egress"] if spec.get("egress") else []))
        isolated[ns].update(t.lower() for t in types)
        agreement = policy.labels.get(AGREEMENT_LABEL, "")
        for direction, path, peer in peers(spec):
            rule_index = int(path.split("[", 1)[1].split("]", 1)[0])
            ports = _ports(spec[direction][rule_index])
            if "ipBlock" in peer:
                external.append((ns, direction, str(peer["ipBlock"].get("cidr")), ports))
                continue
            for other in peer_namespaces(peer, ns, labels):
                referenced.add(other)
                allows[(ns, direction)][(other, ports)] = (ports, agreement)
    names = sorted(set(labels) | referenced | {p.namespace or "" for p in policies})

    def allowed(ns: str, direction: str, other: str) -> tuple[bool, str, str]:
        if direction not in isolated.get(ns, set()):
            return True, "any", ""
        hits = [(ports, agreement) for (peer, _), (ports, agreement) in allows.get((ns, direction), {}).items() if peer == other]
        if not hits:
            return False, "", ""
        return True, ",".join(sorted({p for p, _ in hits})), next((a for _, a in hits if a), "")

    def kind(name: str) -> str:
        if TRUST_LABEL in labels.get(name, {}) or name.startswith("trust-"):
            return "trust"
        return "platform"

    flows: dict[tuple[str, str], Flow] = {}
    for source in names:
        for target in names:
            out_ok, _, out_agreement = allowed(source, "egress", target)
            in_ok, in_ports, in_agreement = allowed(target, "ingress", source)
            if not (out_ok and in_ok):
                continue
            agreement = in_agreement or out_agreement
            if source == target:
                category = "self"
            elif kind(source) == "trust" and kind(target) == "trust":
                category = "agreement" if agreement else "unapproved"
            else:
                category = "platform"
            flows[(source, target)] = Flow(source, target, in_ports, category, agreement)
    order = sorted(names, key=lambda n: (kind(n) == "trust", n))
    return Connectivity(cluster, order, flows, sorted(set(external)))


def estate_from_stacks(stacks: Iterable[Any], as_of: dt.date) -> Estate:
    """Merge the facts of several rendered stacks (``imaging_policies.core.Stack``)."""
    estate = Estate()
    for stack in stacks:
        by_cluster: dict[str, list[Any]] = defaultdict(list)
        for resource in stack.resources:
            if resource.read:
                continue
            if resource.type == "pulumi:providers:kubernetes":
                name = str(resource.props.get("clusterIdentifier") or resource.name.removeprefix("k8s-"))
                estate.clusters.setdefault(name, Cluster(name))
                continue
            by_cluster[resource.cluster].append(resource)
            if resource.gk == "Cluster.cluster.x-k8s.io":
                cluster = estate.clusters.setdefault(resource.object_name, Cluster(resource.object_name))
                cluster.region = str(resource.labels.get(REGION_LABEL, cluster.region))
                cluster.version = str((resource.props.get("spec") or {}).get("topology", {}).get("version", ""))
                estate.clusters.setdefault(resource.cluster, Cluster(resource.cluster)).role = "management"
            elif resource.gk == "Namespace":
                region = str(resource.labels.get(REGION_LABEL, ""))
                if resource.cluster:
                    cluster = estate.clusters.setdefault(resource.cluster, Cluster(resource.cluster))
                    cluster.region = cluster.region or region
                if TRUST_LABEL in resource.labels:
                    ods = str(resource.annotations.get("imaging.nhs.uk/ods-code", resource.labels[TRUST_LABEL])).upper()
                    estate.trusts[ods] = Trust(
                        ods, str(resource.annotations.get("imaging.nhs.uk/organisation", ods)), resource.object_name,
                        resource.cluster, region, str(resource.annotations.get("imaging.nhs.uk/retention-class", "")),
                    )
            elif resource.gk == "ConfigMap" and AGREEMENT_LABEL in resource.labels:
                a = resource.annotations
                agreement = estate.agreements.setdefault(resource.labels[AGREEMENT_LABEL], Agreement(
                    resource.labels[AGREEMENT_LABEL], str(a.get(AGREEMENT + "provider", "")),
                    str(a.get(AGREEMENT + "consumer", "")), str(a.get(AGREEMENT + "services", "")),
                    str(a.get(AGREEMENT + "approvedOn", "")), str(a.get(AGREEMENT + "expiresOn", "")),
                    _live(str(a.get(AGREEMENT + "approvedOn", "")), str(a.get(AGREEMENT + "expiresOn", "")), as_of),
                ))
                agreement.clusters.add(resource.cluster)
        for cluster, resources in sorted(by_cluster.items()):
            if any(r.gk == NETWORK_POLICY for r in resources):
                estate.connectivity.append(connectivity(cluster, resources))
    return estate
