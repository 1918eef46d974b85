"""Shared pydantic configuration and constrained types for the estate model."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints


class StrictModel(BaseModel):
    """Base of every estate model: unknown keys are errors, values are not coerced.

    ``extra="forbid"`` turns a typo in an estate file into an error instead of a silently
    ignored setting; ``strict=True`` refuses ``"3"`` where a number is meant. Models are
    frozen so that components cannot mutate the estate they were given.
    """

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        populate_by_name=True,
        validate_default=True,
    )


# ODS organisation codes: 3 characters for most trusts and health boards, 5 for the
# organisations created since 2024 (e.g. G6V2S). Upper-case letters and digits only.
ODS_CODE_PATTERN = r"^[A-Z0-9]{3}([A-Z0-9]{2})?$"
OdsCode = Annotated[str, StringConstraints(pattern=ODS_CODE_PATTERN)]

# A DNS-1123 label: what Kubernetes accepts as a namespace or object name segment.
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=63)]

# DICOM application entity titles: at most 16 characters of the default repertoire;
# we restrict them further to upper-case letters, digits and underscore so they survive
# every PACS vendor's configuration screen.
AeTitle = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_]{1,16}$")]


def _canonical_network(value: str) -> str:
    """Accept an IPv4/IPv6 network in CIDR form and return it normalised.

    Host bits must be zero (``10.0.0.1/24`` is refused) because a NetworkPolicy ipBlock
    with host bits set is ambiguous to readers and rejected by some CNIs.
    """
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError as error:
        raise ValueError(f"{value!r} is not a network in CIDR form ({error})") from None


Cidr = Annotated[str, AfterValidator(_canonical_network)]

_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")


def _uk_postcode(value: str) -> str:
    value = value.strip().upper()
    if not _POSTCODE.match(value):
        raise ValueError(f"{value!r} is not a UK postcode")
    return value


UkPostcode = Annotated[str, AfterValidator(_uk_postcode)]
