"""Each trust's index database accepts TLS connections only.

The index holds patient names, identifiers and study descriptions. CloudNativePG serves
TLS, but its built-in host-based rules end with a catch-all that also accepts plain
connections; a ``hostnossl ... reject`` rule placed before it (user rules come first)
closes that path, and old TLS versions are refused.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.core import Context, Resource, dig, resource_policy
from imaging_policies.k8s import CNPG_CLUSTER

ALL_ADDRESSES = frozenset({"all", "0.0.0.0/0", "::/0"})
WEAK_TLS = frozenset({"TLSv1", "TLSv1.1"})


def rejects_plain(line: str) -> bool:
    fields = line.split()
    return (len(fields) >= 5 and fields[0] == "hostnossl" and fields[1] == "all" and fields[2] == "all"
            and fields[3] in ALL_ADDRESSES and fields[-1] == "reject")


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    postgresql = dig(resource.props, "spec", "postgresql", default={}) or {}
    lines = [str(line) for line in postgresql.get("pg_hba") or []]
    for index, line in enumerate(lines):
        if rejects_plain(line):
            break
        if line.split()[:1] in (["host"], ["hostnossl"]) and not line.split()[-1:] == ["reject"]:
            yield f"spec.postgresql.pg_hba[{index}] {line!r} accepts connections without TLS: use hostssl"
    else:
        yield ("spec.postgresql.pg_hba has no 'hostnossl all all all reject' rule: CloudNativePG's default "
               "rules would accept unencrypted connections")
    parameters = postgresql.get("parameters") or {}
    if str(parameters.get("ssl", "on")).lower() in ("off", "false", "0"):
        yield "spec.postgresql.parameters.ssl is off: TLS must stay on"
    if parameters.get("ssl_min_protocol_version") in WEAK_TLS:
        yield f"spec.postgresql.parameters.ssl_min_protocol_version is {parameters['ssl_min_protocol_version']}: use TLSv1.2 or later"


POLICY = resource_policy(
    check,
    applies_to={CNPG_CLUSTER},
    id="index-database-tls-only",
    severity="high",
    description="Every archive index database rejects connections that do not use TLS 1.2 or later.",
    remediation=(
        "1. Put 'hostnossl all all all reject' first in spec.postgresql.pg_hba.\n"
        "2. Leave ssl on and ssl_min_protocol_version at TLSv1.2 or later."
    ),
    controls=(ncsc(1), ndg(1)),
)
