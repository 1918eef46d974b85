"""NetworkPolicies select namespaces only by their ``kubernetes.io/metadata.name`` label.

The API server sets that label to the namespace's name and nobody can change it. Any
other namespace label can be edited by whoever can edit the namespace, which would let a
namespace relabel itself into another trust's allow-list; an empty selector admits every
namespace at once.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.conventions import NAMESPACE_NAME_LABEL
from imaging_policies.core import Context, NotApplicable, Resource, resource_policy
from imaging_policies.k8s import NETWORK_POLICY, named_namespaces, peers


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    spec = resource.props.get("spec") or {}
    selectors = [(path, peer["namespaceSelector"]) for _, path, peer in peers(spec) if "namespaceSelector" in peer]
    if not selectors:
        raise NotApplicable("selects no other namespace")
    for path, selector in selectors:
        if named_namespaces(selector) is None:
            shown = "{} (every namespace)" if selector in ({}, None) else str(selector)
            yield (f"{path}.namespaceSelector is {shown}: select namespaces only with "
                   f"matchLabels {{{NAMESPACE_NAME_LABEL}: <name>}} or matchExpressions "
                   f"key {NAMESPACE_NAME_LABEL}, operator In")


POLICY = resource_policy(
    check,
    applies_to={NETWORK_POLICY},
    id="namespace-selectors-use-metadata-name",
    severity="high",
    description="Every NetworkPolicy namespaceSelector matches only the immutable kubernetes.io/metadata.name label.",
    remediation=(
        "1. Replace the selector with matchLabels: {kubernetes.io/metadata.name: <namespace>} "
        "(infra/k8s.py namespace_selector does this).\n"
        "2. To admit several namespaces use matchExpressions with operator In on the same key."
    ),
    controls=(ncsc(3), ndg(9)),
)
