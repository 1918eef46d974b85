"""Resources that hold patient data are protected from deletion by Pulumi.

With ``protect``, Pulumi refuses to delete the resource, in a ``destroy``, a replacement,
or a refactor that drops it from the program; it must first be unprotected in a reviewed
change. An index database, an image bucket, an object store or a Cluster API cluster
deleted by mistake is data loss that no backup window fully covers.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.conventions import DATA_HOLDING_KINDS
from imaging_policies.core import Context, Resource, resource_policy


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    if not resource.protect:
        yield (f"options.protect is not true on {resource.display}, which holds patient data: "
               "pass opts=ResourceOptions(protect=True, retain_on_delete=True)")


POLICY = resource_policy(
    check,
    applies_to=DATA_HOLDING_KINDS,
    id="data-resources-protected",
    severity="critical",
    description="Every resource holding images, their index or the machines they live on has protect set.",
    remediation=(
        "1. Create the resource with pulumi.ResourceOptions(protect=True, retain_on_delete=True).\n"
        "2. To retire one deliberately, unprotect it in its own reviewed change first."
    ),
    controls=(ncsc(2), ndg(7), ndg(1)),
)
