"""infra.archive.orthanc_config: the content of the users Secret the chart mounts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from infra.archive.orthanc_config import registered_users_document  # noqa: E402


def test_it_should_produce_the_registered_users_document_orthanc_reads():
    doc = json.loads(registered_users_document({"rx1-radiologist": "a" * 24, "rx2-exchange": "b" * 24}))
    assert doc == {"RegisteredUsers": {"rx1-radiologist": "a" * 24, "rx2-exchange": "b" * 24}}


@pytest.mark.parametrize(
    ("users", "message"),
    [
        ({}, "at least one user"),
        ({"bad:name": "x" * 24}, "not a valid user name"),
        ({"rx1-radiologist": "short"}, "at least 16"),
        ({"rx1-radiologist": " " + "x" * 24}, "no surrounding spaces"),
    ],
    ids=["empty", "colon-in-name", "short-password", "padded-password"],
)
def test_it_should_refuse_users_basic_authentication_cannot_carry_safely(users, message):
    with pytest.raises(ValueError, match=message):
        registered_users_document(users)
