"""Credentials given to Helm releases are Pulumi secrets.

Release values are stored in the Pulumi state and shown in previews; a password among them
in plain text leaks there. Marked secret, it is encrypted in state and redacted in plans.
Better still, the chart reads an existing Secret (``existingSecret``-style values). As
with Secrets, the engine unwraps the marker, so the offline audit enforces this rule.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.core import Context, NotApplicable, Resource, resource_policy
from imaging_policies.k8s import RELEASE, is_credential_key, is_placeholder, names_a_secret, walk


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    if not resource.secrets_marked:
        raise NotApplicable("the engine unwraps secrets before policies run; `imaging-cloud audit` checks this rule")
    for path, value in walk(resource.props.get("values") or {}, "values"):
        if (is_credential_key(path) and not is_placeholder(value) and not isinstance(value, bool)
                and not names_a_secret(path, value)):
            yield f"{path} is a credential in plain text: pass it with pulumi.Output.secret(...) or use the chart's existingSecret"


POLICY = resource_policy(
    check,
    applies_to={RELEASE},
    id="release-credentials-marked-secret",
    severity="high",
    description="Every credential in Helm release values is passed as a Pulumi secret.",
    remediation=(
        "1. Wrap the value with pulumi.Output.secret(...), or create a Secret and point the chart's "
        "existingSecret value at it.\n"
        "2. Rotate the credential."
    ),
    controls=(ncsc(9), ncsc(2), ndg(1)),
    engine_note="pulumi-policy 1.21 removes the secret marker before validators run: not applicable under "
                "pulumi preview/up; enforced by imaging-cloud audit.",
)
