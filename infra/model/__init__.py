"""The estate model: one strict pydantic tree describing the national imaging estate.

Everything the Pulumi program builds is derived from an :class:`Estate`; nothing is
hard-coded in components. Load it with :func:`infra.model.loader.load_estate`.
"""

from infra.model.estate import (
    Cluster,
    DataCentre,
    Estate,
    NationalHub,
    OidcSettings,
    Region,
    RetentionClass,
    SharingAgreement,
    Trust,
    Zone,
)

__all__ = [
    "Cluster",
    "DataCentre",
    "Estate",
    "NationalHub",
    "OidcSettings",
    "Region",
    "RetentionClass",
    "SharingAgreement",
    "Trust",
    "Zone",
]
