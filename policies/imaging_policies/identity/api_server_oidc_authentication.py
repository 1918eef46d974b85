"""People authenticate to every API server through the national identity provider.

OIDC gives every action a named person from a managed directory (joiners, movers and
leavers handled once, with multi-factor authentication), rather than client certificates
that cannot be revoked. Prefixes keep identity-provider users and groups apart from
Kubernetes' own ``system:`` identities, so nobody can name themselves into
``system:masters``.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.core import Context, Resource, dig, resource_policy
from imaging_policies.k8s import CONTROL_PLANE_TEMPLATE

FIELD = "spec.template.spec.kubeadmConfigSpec.clusterConfiguration.apiServer.extraArgs"


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    args = dig(resource.props, *FIELD.split("."), default={}) or {}
    issuer = str(args.get("oidc-issuer-url", ""))
    if not issuer.startswith("https://"):
        yield f"{FIELD}['oidc-issuer-url'] is {args.get('oidc-issuer-url')!r}: set the national identity provider (https)"
    for flag in ("oidc-client-id", "oidc-groups-claim"):
        if not args.get(flag):
            yield f"{FIELD}[{flag!r}] is not set"
    for flag in ("oidc-groups-prefix", "oidc-username-prefix"):
        if args.get(flag) in (None, "", "-"):
            yield f"{FIELD}[{flag!r}] is {args.get(flag)!r}: set a prefix such as 'oidc:'"


POLICY = resource_policy(
    check,
    applies_to={CONTROL_PLANE_TEMPLATE},
    id="api-server-oidc-authentication",
    severity="high",
    description="Every API server authenticates people with the national OIDC provider, with prefixed users and groups.",
    remediation=(
        "1. Set oidc-issuer-url (https), oidc-client-id, oidc-groups-claim, oidc-groups-prefix and "
        "oidc-username-prefix in the KubeadmControlPlaneTemplate (from estate.yaml hub.oidc)."
    ),
    controls=(ncsc(10), ncsc(9), ndg(4), cis("3.1.1")),
)
