"""Every value of a Kubernetes Secret is a Pulumi secret.

A Secret whose data the program passes as a plain string is stored in clear in the Pulumi
state, shown in previews and diffs, and written verbatim by the offline renderer. Wrapped
in ``pulumi.Output.secret`` it is encrypted in state and redacted everywhere. A rendered
plan shows secret values as ``[secret]``; under the engine, pulumi-policy unwraps secrets
before validators run, so this rule is enforced by the offline audit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from imaging_policies.controls import cis, ncsc, ndg
from imaging_policies.core import SECRET, Context, NotApplicable, Resource, is_unknown, resource_policy


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    if not resource.secrets_marked:
        raise NotApplicable("the engine unwraps secrets before policies run; `imaging-cloud audit` checks this rule")
    for field in ("data", "stringData"):
        values = resource.props.get(field)
        if values is None or values == SECRET or is_unknown(values):
            continue
        if not isinstance(values, Mapping):
            yield f"{field} is in plain text: wrap it with pulumi.Output.secret(...)"
            continue
        for key, value in values.items():
            if value != SECRET and not is_unknown(value):
                yield f"{field}[{key!r}] is in plain text in the program: wrap it with pulumi.Output.secret(...)"


POLICY = resource_policy(
    check,
    applies_to={"Secret"},
    id="secret-data-marked-secret",
    severity="critical",
    description="Every data and stringData value of a Kubernetes Secret is passed to Pulumi as a secret.",
    remediation=(
        "1. Build the value with pulumi.Output.secret(...) or read it with config.require_secret(...).\n"
        "2. Rotate any credential that was ever committed or rendered in clear."
    ),
    controls=(ncsc(2), ncsc(9), ndg(1), cis("5.4.1")),
    engine_note="pulumi-policy 1.21 removes the secret marker before validators run: not applicable under "
                "pulumi preview/up; enforced by imaging-cloud audit.",
)
