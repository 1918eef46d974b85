"""Every location a resource declares is in the UK.

NHS England's data hosting policy keeps patient data in the UK. Locations appear as
region labels (``imaging.nhs.uk/region``, ``topology.kubernetes.io/region``), the country
annotation, node selectors and affinities that place pods, and the region an S3 client
signs for; any of them outside the UK sends images abroad or schedules them there.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from imaging_policies.controls import ncsc, ndg
from imaging_policies.conventions import COUNTRY_ANNOTATION, REGION_LABEL, UK_COUNTRY_CODE
from imaging_policies.core import Context, NotApplicable, Resource, dig, is_unknown, resource_policy
from imaging_policies.k8s import CAPI_CLUSTER, WORKLOAD_KINDS, orthanc_configs, pod_spec

#: UK region names: the estate's NHS regions and the UK regions of S3-compatible services.
UK_REGIONS = frozenset({
    "london", "south-east", "south-west", "midlands", "east-of-england", "north-west",
    "north-east-and-yorkshire", "wales", "scotland", "northern-ireland",
    "eu-west-2",            # AWS Europe (London), the S3 default of the archive chart
    "uksouth", "ukwest",    # Azure
    "europe-west2",         # Google Cloud London
    "uk-london-1", "uk-cardiff-1",  # Oracle Cloud
})
REGION_KEYS = (REGION_LABEL, "topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region")


def _placements(pod: Mapping[str, Any], path: str) -> Iterator[tuple[str, str, Any]]:
    """(field, key, value) of node selectors and required affinity terms on region/country keys."""
    for key, value in (pod.get("nodeSelector") or {}).items():
        yield f"{path}.nodeSelector[{key!r}]", key, value
    terms = dig(pod, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution",
                "nodeSelectorTerms", default=[]) or []
    for t, term in enumerate(terms):
        for e, expression in enumerate((term or {}).get("matchExpressions") or []):
            if expression.get("operator") == "In":
                for value in expression.get("values") or []:
                    yield (f"{path}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
                           f".nodeSelectorTerms[{t}].matchExpressions[{e}]"), expression.get("key"), value


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    found: list[tuple[str, str, Any]] = []
    for source, values in (("labels", resource.labels), ("annotations", resource.annotations)):
        for key in (*REGION_KEYS, COUNTRY_ANNOTATION):
            if key in values:
                found.append((f"metadata.{source}[{key!r}]", key, values[key]))
    workload = pod_spec(resource)
    if workload:
        found += list(_placements(workload[1], workload[0]))
    for path, config in orthanc_configs(resource):
        if isinstance(config, dict) and "Region" in (config.get("AwsS3Storage") or {}):
            found.append((f"{path}.AwsS3Storage.Region", "s3-region", config["AwsS3Storage"]["Region"]))
    relevant = [(f, k, v) for f, k, v in found if k in (*REGION_KEYS, COUNTRY_ANNOTATION, "s3-region")]
    if not relevant:
        raise NotApplicable("declares no location")
    for field, key, value in relevant:
        if is_unknown(value):
            continue
        if key == COUNTRY_ANNOTATION:
            if value != UK_COUNTRY_CODE:
                yield f"{field} is {value!r}: patient images are hosted in the UK only, set it to {UK_COUNTRY_CODE!r}"
        elif value not in UK_REGIONS:
            yield (f"{field} is {value!r}, not a UK region; use one of the estate's regions or a UK "
                   f"region of the service (e.g. 'eu-west-2')")


POLICY = resource_policy(
    check,
    applies_to=WORKLOAD_KINDS | {"Namespace", "ConfigMap", CAPI_CLUSTER},
    id="uk-only-locations",
    severity="critical",
    description="Every region, country or placement a resource declares is in the United Kingdom.",
    remediation=(
        "1. Find the field named in the message.\n"
        "2. Replace the location with a UK one: an estate region (stacks/estate/regions.yaml), "
        "country 'GB', or a UK region of the storage service.\n"
        "3. If the resource must run elsewhere, stop: hosting patient data outside the UK needs "
        "an approved exception from NHS England, not a code change."
    ),
    controls=(ncsc(2), ndg(1)),
)
