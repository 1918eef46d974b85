"""The national imaging estate: regions, clusters, trusts, zones, sharing agreements.

The tree is validated in two steps. Each estate file is validated against its own file
model (``EstateSettings``, ``RegionsFile``, ``TrustFile``, ``AgreementsFile``), which is
also what the exported JSON schemas describe. The loader then assembles one
:class:`Estate`, whose after-validator applies the rules that span files (unknown
regions, duplicates, overlapping networks, agreements naming unknown trusts).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from infra.model.base import AeTitle, Cidr, OdsCode, Slug, StrictModel, UkPostcode

KubernetesVersion = Annotated[str, StringConstraints(pattern=r"^v1\.(2[89]|3[0-9])\.[0-9]+$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Hostname = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$")
]

# --------------------------------------------------------------------------------------
# Retention
# --------------------------------------------------------------------------------------

RecordCategory = Literal["adult", "child", "oncology"]

#: The legal floors per record category, from the NHS Records Management Code of
#: Practice 2021 (radiology images and reports) as summarised by the Royal College of
#: Radiologists. Estate data may retain longer, never shorter.
LEGAL_MINIMUM_YEARS_AFTER_LAST_CONTACT: dict[str, int] = {
    "adult": 8,  # adults: at least 8 years after the last contact
    "child": 8,  # children: 8 years after last contact still applies when it ends later
    "oncology": 30,  # cancer imaging: 30 years
}
#: Children's records are kept at least until the 25th birthday ...
LEGAL_MINIMUM_CHILD_UNTIL_AGE = 25
#: ... or the 26th birthday when the patient was 17 at the end of treatment.
LEGAL_MINIMUM_CHILD_UNTIL_AGE_IF_17 = 26

DAYS_PER_YEAR = 365.25  # includes leap days, so a floor in days never falls short


class RetentionClass(StrictModel):
    """How long images of one kind must be kept, and the object-lock floor that follows.

    The period restarts whenever a record is used again, so object lock can only be a
    *floor*: the archive application tracks the real expiry of each study.
    """

    name: Slug = Field(description="Identifier referenced by trusts, e.g. 'adult-imaging'.")
    description: str = Field(min_length=1, description="What this class covers, for auditors.")
    category: RecordCategory = Field(description="Record category whose legal minimum applies.")
    years_after_last_contact: int = Field(
        ge=1, le=100, description="Minimum whole years kept after the patient's last contact."
    )
    until_age: int | None = Field(
        default=None, ge=18, le=120, description="Children only: kept at least until this birthday."
    )
    until_age_if_17_at_end: int | None = Field(
        default=None,
        ge=18,
        le=120,
        description="Children only: kept until this birthday if 17 at the end of treatment.",
    )
    basis: str = Field(min_length=1, description="Citation of the rule this class implements.")

    @model_validator(mode="after")
    def _not_below_legal_minimum(self) -> RetentionClass:
        floor = LEGAL_MINIMUM_YEARS_AFTER_LAST_CONTACT[self.category]
        if self.years_after_last_contact < floor:
            raise ValueError(
                f"years_after_last_contact is {self.years_after_last_contact}, below the legal "
                f"minimum of {floor} years for {self.category} imaging "
                "(NHS Records Management Code of Practice 2021)"
            )
        if self.category == "child":
            if self.until_age is None or self.until_age < LEGAL_MINIMUM_CHILD_UNTIL_AGE:
                raise ValueError(
                    f"until_age is {self.until_age}, below the legal minimum: children's images "
                    f"are kept until the {LEGAL_MINIMUM_CHILD_UNTIL_AGE}th birthday"
                )
            if (
                self.until_age_if_17_at_end is None
                or self.until_age_if_17_at_end < LEGAL_MINIMUM_CHILD_UNTIL_AGE_IF_17
            ):
                raise ValueError(
                    f"until_age_if_17_at_end is {self.until_age_if_17_at_end}, below the legal "
                    f"minimum: the {LEGAL_MINIMUM_CHILD_UNTIL_AGE_IF_17}th birthday when the "
                    "patient was 17 at the end of treatment"
                )
        elif self.until_age is not None or self.until_age_if_17_at_end is not None:
            raise ValueError("until_age applies only to the 'child' category")
        return self

    @property
    def worm_floor_years(self) -> int:
        """Years every object stays immutable, whoever the patient is.

        A bucket-wide object-lock default cannot know the patient's age, so it covers the
        youngest patient: a newborn's image under the child rule must survive until the
        25th birthday (25 years), which exceeds the 26th-birthday case for a 17-year-old
        (9 years) and the 8 years after last contact.
        """
        years = self.years_after_last_contact
        if self.until_age is not None:
            years = max(years, self.until_age)
        if self.until_age_if_17_at_end is not None:
            years = max(years, self.until_age_if_17_at_end - 17)
        return years

    @property
    def worm_floor_days(self) -> int:
        return math.ceil(self.worm_floor_years * DAYS_PER_YEAR)


# --------------------------------------------------------------------------------------
# Places and clusters
# --------------------------------------------------------------------------------------

#: Patient images are hosted in the UK only (NHS England data hosting policy).
UK_COUNTRY_CODE = "GB"


class DataCentre(StrictModel):
    """A site of the national private cloud."""

    name: Slug
    city: str = Field(min_length=1)
    country: CountryCode = Field(description="ISO 3166-1 alpha-2 code; must be GB.")

    @field_validator("country")
    @classmethod
    def _in_the_uk(cls, country: str) -> str:
        if country != UK_COUNTRY_CODE:
            raise ValueError(
                f"country {country!r} is outside the UK; patient images must be hosted "
                "in the UK (NHS data hosting policy), use 'GB'"
            )
        return country


class OidcSettings(StrictModel):
    """API server OIDC settings: people authenticate with the national identity provider."""

    issuer_url: str = Field(pattern=r"^https://", description="OIDC issuer, HTTPS only.")
    client_id: str = Field(min_length=1)
    username_claim: str = "email"
    groups_claim: str = "groups"
    groups_prefix: str = Field(default="oidc:", description="Keeps IdP groups apart from system groups.")


class Cluster(StrictModel):
    """A Kubernetes cluster and how it comes to exist.

    ``cluster-api`` clusters are provisioned by the national management cluster from a
    ClusterClass (OpenStack infrastructure by default). ``existing`` clusters are
    brought by the operator: their kubeconfig comes from secret stack config.
    """

    name: Slug
    provisioner: Literal["cluster-api", "existing"] = "cluster-api"
    infrastructure: Literal["openstack"] = Field(
        default="openstack", description="Cluster API infrastructure provider of the private cloud."
    )
    datacentre: Slug = Field(description="Name of a data centre of the cluster's region.")
    kubernetes_version: KubernetesVersion = "v1.35.3"
    control_plane_replicas: Literal[1, 3, 5] = Field(
        default=3, description="Odd, so etcd keeps quorum through the loss of a member."
    )
    worker_replicas: int = Field(default=3, ge=1, le=500)
    worker_flavor: str = Field(default="m1.xlarge", min_length=1)
    node_cidr: Cidr
    pod_cidr: Cidr
    service_cidr: Cidr
    api_allowed_cidrs: list[Cidr] = Field(
        min_length=1, description="Management networks allowed to reach the API server."
    )


class Region(StrictModel):
    """An NHS England region (or Wales) with its workload cluster(s)."""

    name: Slug
    display_name: str = Field(min_length=1)
    nation: Literal["england", "wales"]
    replica_region: Slug = Field(description="Second region that holds replicas of this region's archives.")
    datacentres: list[DataCentre] = Field(min_length=1)
    clusters: list[Cluster] = Field(min_length=1)

    @model_validator(mode="after")
    def _clusters_in_own_datacentres(self) -> Region:
        known = {dc.name for dc in self.datacentres}
        for cluster in self.clusters:
            if cluster.datacentre not in known:
                raise ValueError(
                    f"cluster {cluster.name!r} is in data centre {cluster.datacentre!r}, which is not "
                    f"one of this region's data centres ({', '.join(sorted(known))})"
                )
        return self

    @property
    def workload_cluster(self) -> Cluster:
        return self.clusters[0]


# --------------------------------------------------------------------------------------
# Trusts, zones, agreements
# --------------------------------------------------------------------------------------

TrustKind = Literal[
    "acute-trust",
    "specialist-trust",
    "community-trust",
    "mental-health-trust",
    "ambulance-trust",
    "health-board",
    "other",
]


class TrustEntry(StrictModel):
    """One NHS organisation as written in a region's trust file.

    Onboarding a trust is adding one of these. ``namespace``, ``ae_title`` and the
    identity groups are derived from the ODS code unless given.
    """

    ods_code: OdsCode = Field(description="ODS organisation code (3 or 5 upper-case characters).")
    name: str = Field(min_length=1)
    kind: TrustKind
    postcode: UkPostcode | None = Field(default=None, description="Headquarters postcode.")
    retention_class: Slug = Field(default="adult-imaging", description="Name of a retention class.")
    size: Literal["small", "medium", "large"] = Field(
        default="medium", description="Sizes the quota and the archive."
    )
    hospital_networks: list[Cidr] = Field(
        min_length=1,
        description="The trust's own networks (modalities, workstations) allowed to reach its archive.",
    )
    cluster: Slug | None = Field(default=None, description="Cluster of the region; default its first.")
    namespace: Slug | None = Field(default=None, description="Default 'trust-<ods code in lower case>'.")
    ae_title: AeTitle | None = Field(default=None, description="Archive AE title; default '<ODS>_ARCHIVE'.")

    @model_validator(mode="after")
    def _derive_names(self) -> TrustEntry:
        if self.namespace is None:
            object.__setattr__(self, "namespace", f"trust-{self.ods_code.lower()}")
        if self.ae_title is None:
            object.__setattr__(self, "ae_title", f"{self.ods_code}_ARCHIVE")
        return self

    @property
    def admin_group(self) -> str:
        """Identity-provider group of the trust's imaging platform administrators."""
        return f"imaging-cloud:{self.ods_code}:admins"

    @property
    def reader_group(self) -> str:
        return f"imaging-cloud:{self.ods_code}:readers"


class Trust(TrustEntry):
    """A trust placed in its region (the region comes from the file it is written in)."""

    region: Slug


class Zone(StrictModel):
    """A platform zone: a namespace run by the platform team on every workload cluster."""

    name: Literal["ingress", "exchange", "monitoring", "system"]
    namespace: Slug
    purpose: str = Field(min_length=1)


ExchangeService = Literal["dicomweb", "dimse"]


class SharingAgreement(StrictModel):
    """A data sharing agreement: ``consumer`` may query and retrieve from ``provider``'s archive.

    Only live agreements (approved, not expired on the render date) compile to routes.
    """

    id: Slug
    provider: OdsCode = Field(description="Trust whose archive is read.")
    consumer: OdsCode = Field(description="Trust that queries and retrieves.")
    services: list[ExchangeService] = Field(min_length=1)
    purpose: str = Field(min_length=1)
    reference: str = Field(min_length=1, description="The signed agreement's document reference.")
    approved_by: str = Field(min_length=1)
    approved_on: dt.date
    expires_on: dt.date

    @model_validator(mode="after")
    def _coherent(self) -> SharingAgreement:
        if self.provider == self.consumer:
            raise ValueError("provider and consumer are the same trust; an agreement needs two")
        if self.expires_on <= self.approved_on:
            raise ValueError("expires_on must be after approved_on")
        return self

    def is_live(self, on: dt.date) -> bool:
        return self.approved_on <= on < self.expires_on


# --------------------------------------------------------------------------------------
# National settings and the estate
# --------------------------------------------------------------------------------------


class SecurityHub(StrictModel):
    """Where every cluster sends security events, logs and metrics."""

    domain: Hostname = Field(description="DNS domain of the hub's mTLS ingestion endpoints.")
    audit_retention_days: int = Field(ge=365, description="Audit data kept on immutable storage.")
    production_sizing: bool = Field(default=True, description="Highly available hub (3+ replicas).")


class NationalHub(StrictModel):
    """The national management and security hub."""

    region: Slug = Field(description="Region whose data centre hosts the hub.")
    management_cluster: Cluster = Field(description="Cluster API management cluster (brought, 'existing').")
    registry: Hostname = Field(description="Approved national container registry (a mirror).")
    registry_networks: list[Cidr] = Field(
        min_length=1, description="Networks of the registry mirror (agents pull rules and vulnerability data)."
    )
    object_store_endpoint: str = Field(
        pattern=r"^https://", description="S3 endpoint of the hub's immutable audit storage."
    )
    oidc: OidcSettings
    security: SecurityHub

    @model_validator(mode="after")
    def _management_cluster_is_brought(self) -> NationalHub:
        if self.management_cluster.provisioner != "existing":
            raise ValueError(
                "management_cluster.provisioner must be 'existing': Cluster API needs a management "
                "cluster before it can provision any other"
            )
        return self


class EstateSettings(StrictModel):
    """``estate.yaml``: national settings shared by every stack."""

    name: str = Field(min_length=1)
    hub: NationalHub
    zones: list[Zone] = Field(min_length=4)
    retention_classes: list[RetentionClass] = Field(min_length=1)


class RegionsFile(StrictModel):
    """``regions.yaml``: the regions and their clusters."""

    regions: list[Region] = Field(min_length=1)


class TrustFile(StrictModel):
    """``trusts/<region>.yaml``: the trusts of one region."""

    region: Slug
    trusts: list[TrustEntry] = Field(default_factory=list)


class AgreementsFile(StrictModel):
    """``sharing-agreements.yaml``: data sharing agreements between trusts."""

    agreements: list[SharingAgreement] = Field(default_factory=list)


class EstateIssue(ValueError):
    """Cross-file rule violations, each with the field path it concerns."""

    def __init__(self, issues: list[tuple[tuple[str | int, ...], str]]):
        self.issues = issues
        super().__init__("; ".join(message for _, message in issues))


class Estate(StrictModel):
    """The whole estate, assembled from its files and checked across them."""

    name: str
    hub: NationalHub
    zones: list[Zone]
    retention_classes: list[RetentionClass]
    regions: list[Region]
    trusts: list[Trust]
    sharing_agreements: list[SharingAgreement]

    # ---- lookups -----------------------------------------------------------------
    def region(self, name: str) -> Region:
        for region in self.regions:
            if region.name == name:
                return region
        raise KeyError(name)

    def trust(self, ods_code: str) -> Trust:
        for trust in self.trusts:
            if trust.ods_code == ods_code:
                return trust
        raise KeyError(ods_code)

    def trusts_in(self, region: str) -> list[Trust]:
        return [trust for trust in self.trusts if trust.region == region]

    def retention(self, name: str) -> RetentionClass:
        for retention in self.retention_classes:
            if retention.name == name:
                return retention
        raise KeyError(name)

    def zone(self, name: str) -> Zone:
        for zone in self.zones:
            if zone.name == name:
                return zone
        raise KeyError(name)

    def cluster_of(self, trust: Trust) -> Cluster:
        region = self.region(trust.region)
        if trust.cluster is None:
            return region.workload_cluster
        return next(cluster for cluster in region.clusters if cluster.name == trust.cluster)

    def live_agreements(self, on: dt.date) -> list[SharingAgreement]:
        return [agreement for agreement in self.sharing_agreements if agreement.is_live(on)]

    def all_clusters(self) -> Iterator[tuple[Region | None, Cluster]]:
        yield None, self.hub.management_cluster
        for region in self.regions:
            for cluster in region.clusters:
                yield region, cluster

    # ---- cross-file rules ----------------------------------------------------------
    @model_validator(mode="after")
    def _consistent(self) -> Estate:
        issues: list[tuple[tuple[str | int, ...], str]] = []
        issues += self._unique_names()
        issues += self._references()
        issues += self._networks_disjoint()
        if issues:
            raise EstateIssue(issues)
        return self

    def _unique_names(self) -> Iterable[tuple[tuple[str | int, ...], str]]:
        def duplicates(items, key, path_of, what):
            seen: dict[str, int] = {}
            for index, item in enumerate(items):
                value = key(item)
                if value in seen:
                    yield path_of(index), f"duplicate {what} {value!r} (first used by entry {seen[value]})"
                else:
                    seen[value] = index

        yield from duplicates(self.regions, lambda r: r.name, lambda i: ("regions", i, "name"), "region")
        yield from duplicates(
            self.retention_classes,
            lambda r: r.name,
            lambda i: ("retention_classes", i, "name"),
            "retention class",
        )
        yield from duplicates(self.zones, lambda z: z.name, lambda i: ("zones", i, "name"), "zone")
        yield from duplicates(self.trusts, lambda t: t.ods_code, lambda i: ("trusts", i, "ods_code"), "trust")
        yield from duplicates(self.trusts, lambda t: t.namespace, lambda i: ("trusts", i, "namespace"), "namespace")
        yield from duplicates(self.trusts, lambda t: t.ae_title, lambda i: ("trusts", i, "ae_title"), "AE title")
        yield from duplicates(
            self.sharing_agreements, lambda a: a.id, lambda i: ("sharing_agreements", i, "id"), "agreement id"
        )
        zone_namespaces = {zone.namespace for zone in self.zones}
        for index, trust in enumerate(self.trusts):
            if trust.namespace in zone_namespaces:
                yield ("trusts", index, "namespace"), f"namespace {trust.namespace!r} is a platform zone's"
        clusters = [("hub", "management_cluster")] + [
            ("regions", r, "clusters", c) for r, region in enumerate(self.regions) for c in range(len(region.clusters))
        ]
        names = [self.hub.management_cluster.name] + [c.name for region in self.regions for c in region.clusters]
        seen_clusters: dict[str, int] = {}
        for path, name in zip(clusters, names):
            if name in seen_clusters:
                yield (*path, "name"), f"duplicate cluster name {name!r}"
            seen_clusters[name] = 1

    def _references(self) -> Iterable[tuple[tuple[str | int, ...], str]]:
        regions = {region.name: region for region in self.regions}
        retention = {r.name for r in self.retention_classes}
        trusts = {t.ods_code for t in self.trusts}
        if self.hub.region not in regions:
            yield ("hub", "region"), f"unknown region {self.hub.region!r} (known: {', '.join(sorted(regions))})"
        missing_zones = {"ingress", "exchange", "monitoring", "system"} - {z.name for z in self.zones}
        if missing_zones:
            yield ("zones",), f"missing platform zones: {', '.join(sorted(missing_zones))}"
        for index, region in enumerate(self.regions):
            if region.replica_region == region.name:
                yield ("regions", index, "replica_region"), "replica_region must be a different region"
            elif region.replica_region not in regions:
                yield (
                    ("regions", index, "replica_region"),
                    f"unknown region {region.replica_region!r} (known: {', '.join(sorted(regions))})",
                )
        for index, trust in enumerate(self.trusts):
            if trust.region not in regions:
                yield (
                    ("trusts", index, "region"),
                    f"unknown region {trust.region!r} (known: {', '.join(sorted(regions))})",
                )
                continue
            if trust.retention_class not in retention:
                yield (
                    ("trusts", index, "retention_class"),
                    f"unknown retention class {trust.retention_class!r} (known: {', '.join(sorted(retention))})",
                )
            cluster_names = {c.name for c in regions[trust.region].clusters}
            if trust.cluster is not None and trust.cluster not in cluster_names:
                yield (
                    ("trusts", index, "cluster"),
                    f"unknown cluster {trust.cluster!r} in region {trust.region!r}",
                )
        for index, agreement in enumerate(self.sharing_agreements):
            for role in ("provider", "consumer"):
                code = getattr(agreement, role)
                if code not in trusts:
                    yield ("sharing_agreements", index, role), f"unknown trust {code!r}: no trust has this ODS code"

    def _networks_disjoint(self) -> Iterable[tuple[tuple[str | int, ...], str]]:
        """No two declared networks may overlap: overlapping ranges would let one trust's
        hosts pass as another's in NetworkPolicy ipBlocks, and break cluster routing."""
        owners: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, tuple[str | int, ...], str]] = []
        mgmt = self.hub.management_cluster
        for field in ("node_cidr", "pod_cidr", "service_cidr"):
            owners.append((ipaddress.ip_network(getattr(mgmt, field)), ("hub", "management_cluster", field), f"cluster {mgmt.name} {field}"))
        for r, region in enumerate(self.regions):
            for c, cluster in enumerate(region.clusters):
                for field in ("node_cidr", "pod_cidr", "service_cidr"):
                    owners.append(
                        (
                            ipaddress.ip_network(getattr(cluster, field)),
                            ("regions", r, "clusters", c, field),
                            f"cluster {cluster.name} {field}",
                        )
                    )
        for t, trust in enumerate(self.trusts):
            for n, network in enumerate(trust.hospital_networks):
                owners.append(
                    (ipaddress.ip_network(network), ("trusts", t, "hospital_networks", n), f"trust {trust.ods_code}")
                )
        # Sort by start address so that only neighbours need comparing (n log n, not n^2).
        by_version: dict[int, list] = defaultdict(list)
        for owner in owners:
            by_version[owner[0].version].append(owner)
        for group in by_version.values():
            group.sort(key=lambda o: (int(o[0].network_address), -o[0].prefixlen))
            widest_end = None
            widest_owner = None
            for network, path, label in group:
                if widest_end is not None and int(network.network_address) <= widest_end:
                    yield path, f"{network} overlaps {widest_owner[0]} of {widest_owner[2]}"
                if widest_end is None or int(network.broadcast_address) > widest_end:
                    widest_end = int(network.broadcast_address)
                    widest_owner = (network, path, label)
