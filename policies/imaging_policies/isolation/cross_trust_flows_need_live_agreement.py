"""Traffic between trusts exists only under a live data sharing agreement.

A trust's archive may be read by another trust only under a signed agreement, for as long
as it is in force. A NetworkPolicy that opens a path to another trust (directly, or
through the exchange zone to another region) names its agreement in a label; the
agreement's record (a ConfigMap written next to the route) must exist, name the trusts as
parties, and be live on the audit date: approved, and not expired. A policy without the
label (an archive chart's egress policy listing its peers) passes only if a live agreement
between the two trusts exists. Exchange-zone routes always name theirs. An expired
agreement therefore fails the deployment until its routes are removed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

from imaging_policies.controls import ncsc, ndg
from imaging_policies.conventions import (
    AGREEMENT_ANNOTATION, AGREEMENT_LABEL, EXCHANGE_ZONE, ODS_ANNOTATION, TRUST_LABEL, is_trust_namespace,
)
from imaging_policies.core import Context, NotApplicable, Resource, Stack, stack_policy
from imaging_policies.k8s import NETWORK_POLICY, peer_namespaces, peers


def _date(record: Resource, key: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(record.annotations.get(AGREEMENT_ANNOTATION + key)))
    except ValueError:
        return None


def _crossings(policy: Resource, trusts: set[str], known: Mapping[str, Mapping]) -> list[tuple[str, str]]:
    """(field, other party) for each peer of ``policy`` that crosses a trust boundary."""
    own = policy.namespace or ""
    spec = policy.props.get("spec") or {}
    found = []
    for _, path, peer in peers(spec):
        if "ipBlock" in peer:
            if own == EXCHANGE_ZONE:
                found.append((f"{path}.ipBlock", f"network {peer['ipBlock'].get('cidr')}"))
            continue
        for other in sorted(peer_namespaces(peer, own, known)):
            if other == own:
                continue
            if is_trust_namespace(own) and (other in trusts or other == EXCHANGE_ZONE):
                found.append((path, other))
            elif own == EXCHANGE_ZONE and other in trusts:
                found.append((path, other))
    return found


def _ods(name: str, namespaces: Mapping[tuple[str, str], Resource], cluster: str) -> str:
    ns = namespaces.get((cluster, name))
    return str(ns.annotations.get(ODS_ANNOTATION, "") if ns else "").upper() or name.removeprefix("trust-").upper()


def _state(record: Resource, as_of: dt.date) -> str:
    """'' when the agreement is live on ``as_of``, else why it is not."""
    approved, expires = _date(record, "approvedOn"), _date(record, "expiresOn")
    if approved is None or expires is None:
        return (f"has no valid metadata.annotations['{AGREEMENT_ANNOTATION}approvedOn'/'expiresOn'] date "
                f"(ConfigMap {record.namespace}/{record.object_name})")
    if as_of >= expires:
        return f"expired on {expires}"
    if as_of < approved:
        return f"is not approved until {approved}"
    return ""


def _parties(record: Resource) -> set[str]:
    return {str(record.annotations.get(AGREEMENT_ANNOTATION + r, "")).upper() for r in ("provider", "consumer")}


def check(stack: Stack, ctx: Context) -> Iterator[tuple[str, str | None]]:
    namespaces = stack.namespaces()
    policies = stack.objects(NETWORK_POLICY)
    if not policies:
        raise NotApplicable("no NetworkPolicies in this stack")
    records: dict[tuple[str, str], Resource] = {}
    for config_map in stack.objects("ConfigMap"):
        if AGREEMENT_LABEL in config_map.labels:
            records.setdefault((config_map.cluster, str(config_map.labels[AGREEMENT_LABEL])), config_map)
    for policy in policies:
        cluster = policy.cluster
        known = {name: ns.labels for (c, name), ns in namespaces.items() if c == cluster}
        trusts = {name for name in known if is_trust_namespace(name) or TRUST_LABEL in known[name]}
        crossings = _crossings(policy, trusts, known)
        if not crossings:
            continue
        where = f"NetworkPolicy {policy.namespace}/{policy.object_name}"
        own = _ods(policy.namespace or "", namespaces, cluster) if is_trust_namespace(policy.namespace) else None
        agreement = policy.labels.get(AGREEMENT_LABEL)
        if agreement:
            record = records.get((cluster, str(agreement)))
            if record is None:
                yield (f"{where} names agreement {agreement!r} (metadata.labels[{AGREEMENT_LABEL!r}]) but no "
                       "agreement record (ConfigMap with that label) exists on this cluster"), policy.urn
                continue
            state = _state(record, ctx.as_of)
            if state:
                field, other = crossings[0]
                yield (f"{where} opens {field} to {other} under agreement {agreement!r}, which {state} "
                       f"(audit date {ctx.as_of}); remove the route or renew the agreement"), policy.urn
                continue
            parties = _parties(record)
            ends = ([own] if own else []) + [_ods(o, namespaces, cluster) for _, o in crossings if o in trusts]
            for ods in dict.fromkeys(ends):
                if ods not in parties:
                    yield (f"{where} connects trust {ods}, which is not a party to agreement {agreement!r} "
                           f"(provider/consumer: {', '.join(sorted(parties))})"), policy.urn
            continue
        if own is None:
            field, other = crossings[0]
            yield (f"{where} opens {field} to {other} but names no agreement: exchange routes carry "
                   f"metadata.labels[{AGREEMENT_LABEL!r}]"), policy.urn
            continue
        # Not labelled (e.g. a chart's egress policy listing its peers): a live agreement between
        # the two trusts must exist all the same.
        for field, other in crossings:
            ends = {e for e in (own, _ods(other, namespaces, cluster) if other in trusts else None) if e}
            matching = [(aid, r) for (c, aid), r in sorted(records.items()) if c == cluster and ends <= _parties(r)]
            live = [aid for aid, r in matching if not _state(r, ctx.as_of)]
            if live:
                continue
            between = " and ".join(sorted(ends)) or "its trust"
            why = "; ".join(f"{aid} {_state(r, ctx.as_of)}" for aid, r in matching) or "none exists"
            yield (f"{where} opens {field} to {other} without a data sharing agreement between {between} "
                   f"({why}): label it with metadata.labels[{AGREEMENT_LABEL!r}] of a live agreement, "
                   "or remove the rule"), policy.urn


POLICY = stack_policy(
    check,
    id="cross-trust-flows-need-live-agreement",
    severity="critical",
    description="Every NetworkPolicy that connects two trusts names a live sharing agreement between those trusts.",
    remediation=(
        "1. Add the agreement to stacks/estate/sharing-agreements.yaml (signed reference, approver, "
        "dates); the program then generates the routes and their records.\n"
        "2. Never write a cross-trust NetworkPolicy by hand; remove any that names no agreement.\n"
        "3. For an expired agreement, renew it (new expires_on) or let the routes be removed."
    ),
    controls=(ncsc(3), ndg(1), ndg(4)),
)
