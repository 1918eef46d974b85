"""Every Cluster API cluster names its data centre and that centre's country, the UK.

The estate model refuses data centres outside the UK, but the Cluster object is what an
auditor of the management cluster sees; carrying the site on it makes residency checkable
on the object that creates the machines, and by this pack before anything is provisioned.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.conventions import COUNTRY_ANNOTATION, DATACENTRE_ANNOTATION, UK_COUNTRY_CODE
from imaging_policies.core import Context, Resource, is_unknown, resource_policy
from imaging_policies.k8s import CAPI_CLUSTER


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    country = resource.annotations.get(COUNTRY_ANNOTATION)
    datacentre = resource.annotations.get(DATACENTRE_ANNOTATION)
    if not datacentre:
        yield f"metadata.annotations[{DATACENTRE_ANNOTATION!r}] is missing: name the data centre hosting the cluster"
    if country is None:
        yield f"metadata.annotations[{COUNTRY_ANNOTATION!r}] is missing: set it to {UK_COUNTRY_CODE!r}"
    elif not is_unknown(country) and country != UK_COUNTRY_CODE:
        yield f"metadata.annotations[{COUNTRY_ANNOTATION!r}] is {country!r}: clusters are hosted in the UK only"


POLICY = resource_policy(
    check,
    applies_to={CAPI_CLUSTER},
    id="clusters-declare-uk-location",
    severity="high",
    description="Every Cluster API cluster carries its data centre and a UK country code.",
    remediation=(
        "1. In infra/components/cluster.py, annotate the Cluster object with "
        "imaging.nhs.uk/datacentre (the cluster's data centre from regions.yaml) and "
        "imaging.nhs.uk/country: GB.\n"
        "2. Re-render and re-run the audit."
    ),
    controls=(ncsc(2), ndg(1)),
)
