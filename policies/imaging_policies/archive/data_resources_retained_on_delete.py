"""Resources that hold patient data are retained in the cluster if Pulumi deletes them.

``retainOnDelete`` makes Pulumi forget the resource instead of deleting it, so even an
unprotected, deliberate removal from the program leaves the bucket, database or cluster
in place for the records manager to decide. The analyzer protocol of the Pulumi engine
does not pass this option to policy packs, so under ``pulumi preview`` this rule reports
"not applicable"; the offline audit, which sees the program's registrations, enforces it.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.conventions import DATA_HOLDING_KINDS
from imaging_policies.core import Context, NotApplicable, Resource, resource_policy


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    if resource.retain_on_delete is None:
        raise NotApplicable(
            "the Pulumi engine does not pass retainOnDelete to policy packs; `imaging-cloud audit` checks it"
        )
    if not resource.retain_on_delete:
        yield (f"options.retainOnDelete is not true on {resource.display}, which holds patient data: "
               "pass opts=ResourceOptions(retain_on_delete=True)")


POLICY = resource_policy(
    check,
    applies_to=DATA_HOLDING_KINDS,
    id="data-resources-retained-on-delete",
    severity="critical",
    description="Every resource holding images, their index or the machines they live on has retainOnDelete set.",
    remediation=(
        "1. Create the resource with pulumi.ResourceOptions(retain_on_delete=True) (children of a "
        "component inherit it when set on the component).\n"
        "2. Run `imaging-cloud audit` in CI before `pulumi up`: the engine cannot check this option."
    ),
    controls=(ncsc(2), ndg(7)),
    engine_note="retainOnDelete is not in the analyzer protocol: not applicable under pulumi preview/up; "
                "enforced by imaging-cloud audit.",
)
