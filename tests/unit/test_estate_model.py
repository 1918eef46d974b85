"""The estate model: the committed data loads, and bad data gets exact, actionable errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from infra.model.loader import EstateLoadError, load_estate
from infra.model.schemas import SCHEMAS, schema_text

REPO = Path(__file__).resolve().parents[2]
ESTATE = REPO / "stacks" / "estate"
DEV_ESTATE = REPO / "stacks" / "estate-dev"


def test_the_national_estate_holds_all_209_organisations():
    estate = load_estate(ESTATE)
    assert len(estate.trusts) == 209
    assert {r.name for r in estate.regions} == {
        "london", "south-east", "south-west", "east-of-england", "midlands",
        "north-east-and-yorkshire", "north-west", "wales",
    }
    assert sum(1 for t in estate.trusts if t.region == "wales") == 10
    assert estate.trust("RP4").retention_class == "paediatric-imaging"
    assert estate.trust("RBV").retention_class == "oncology-imaging"


def test_derived_names_follow_the_ods_code():
    trust = load_estate(DEV_ESTATE).trust("RJ1")
    assert trust.namespace == "trust-rj1"
    assert trust.ae_title == "RJ1_ARCHIVE"
    assert trust.admin_group == "imaging-cloud:RJ1:admins"


def test_worm_floor_covers_the_youngest_patient():
    estate = load_estate(ESTATE)
    # A newborn's image must survive to the 25th birthday: 25 years, leap days included.
    assert estate.retention("paediatric-imaging").worm_floor_years == 25
    assert estate.retention("paediatric-imaging").worm_floor_days == 9132
    assert estate.retention("adult-imaging").worm_floor_days == 2922
    assert estate.retention("oncology-imaging").worm_floor_years == 30


@pytest.fixture
def broken(tmp_path):
    """A writable copy of the dev estate and a function to edit one of its files."""
    target = tmp_path / "estate"
    shutil.copytree(DEV_ESTATE, target)

    def edit(relative: str, change) -> Path:
        path = target / relative
        data = yaml.safe_load(path.read_text())
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return target

    return edit


def errors_of(directory: Path) -> list[str]:
    with pytest.raises(EstateLoadError) as failure:
        load_estate(directory)
    # Paths are printed relative to the working directory; compare by file name.
    return [f"{Path(e.file).name}:{e.line}: {e.field}: {e.message}" for e in failure.value.errors]


def test_bad_ods_code(broken):
    d = broken("trusts/london.yaml", lambda t: t["trusts"][1].update(ods_code="rjz"))
    assert errors_of(d) == [
        "london.yaml:11: trusts[1].ods_code: 'rjz' is not valid: an ODS code is 3 or 5 upper-case letters "
        "or digits, e.g. 'RJ1' or 'G6V2S'"
    ]


def test_unknown_region_in_trust_file(broken):
    d = broken("trusts/london.yaml", lambda t: t.update(region="narnia"))
    errors = errors_of(d)
    assert "london.yaml:1: region: region 'narnia' does not match the file name 'london'.yaml" in errors


def test_unknown_region_of_a_trust_file_named_after_it(broken, tmp_path):
    d = broken("trusts/london.yaml", lambda t: None)
    (d / "trusts" / "london.yaml").rename(d / "trusts" / "narnia.yaml")
    text = (d / "trusts" / "narnia.yaml").read_text().replace("region: london", "region: narnia")
    (d / "trusts" / "narnia.yaml").write_text(text)
    errors = errors_of(d)
    assert errors[0] == "narnia.yaml:1: region: unknown region 'narnia' (known: london, south-east)"


def test_duplicate_trust_namespace_and_ae_title(broken):
    def dup(data):
        data["trusts"][1]["namespace"] = "trust-rj1"
        data["trusts"][2]["ae_title"] = "RJ1_ARCHIVE"
        data["trusts"][3]["ods_code"] = "RJ1"
    errors = errors_of(broken("trusts/london.yaml", dup))
    assert "london.yaml:19: trusts[1].namespace: duplicate namespace 'trust-rj1' (first used by entry 0)" in errors
    assert any(e.startswith("london.yaml:") and "trusts[2].ae_title: duplicate AE title 'RJ1_ARCHIVE'" in e for e in errors)
    assert any("trusts[3].ods_code: duplicate trust 'RJ1'" in e for e in errors)


def test_overlapping_networks(broken):
    d = broken("trusts/london.yaml", lambda t: t["trusts"][2].update(hospital_networks=["10.1.0.0/16"]))
    errors = errors_of(d)
    assert len(errors) == 3  # the /16 covers the three other dev trusts' /22s
    assert all("trusts[2].hospital_networks[0]" in e or "overlaps 10.1.0.0/16 of trust RP4" in e for e in errors)


def test_network_with_host_bits_is_refused(broken):
    d = broken("trusts/london.yaml", lambda t: t["trusts"][0].update(hospital_networks=["10.1.96.1/22"]))
    assert errors_of(d) == [
        "london.yaml:10: trusts[0].hospital_networks[0]: '10.1.96.1/22' is not a network in CIDR "
        "form (10.1.96.1/22 has host bits set)"
    ]


def test_agreement_naming_an_unknown_trust(broken):
    d = broken("sharing-agreements.yaml", lambda a: a["agreements"][0].update(consumer="RXX"))
    assert errors_of(d) == [
        "sharing-agreements.yaml:4: agreements[0].consumer: unknown trust 'RXX': no trust has this ODS code"
    ]


def test_retention_below_the_legal_minimum(broken):
    d = broken("estate.yaml", lambda e: e["retention_classes"][0].update(years_after_last_contact=5))
    assert errors_of(d) == [
        "estate.yaml:41: retention_classes[0]: years_after_last_contact is 5, below the legal minimum of 8 "
        "years for adult imaging (NHS Records Management Code of Practice 2021)"
    ]


def test_child_retention_must_reach_the_25th_birthday(broken):
    d = broken("estate.yaml", lambda e: e["retention_classes"][1].update(until_age=18))
    (error,) = errors_of(d)
    assert "retention_classes[1]: until_age is 18, below the legal minimum" in error


def test_non_uk_location(broken):
    d = broken("regions.yaml", lambda r: r["regions"][0]["datacentres"][0].update(country="IE"))
    assert errors_of(d) == [
        "regions.yaml:9: regions[0].datacentres[0].country: country 'IE' is outside the UK; patient images "
        "must be hosted in the UK (NHS data hosting policy), use 'GB'"
    ]


def test_unknown_field_is_an_error_not_ignored(broken):
    d = broken("trusts/london.yaml", lambda t: t["trusts"][0].update(retention="adult-imaging"))
    (error,) = errors_of(d)
    assert error.endswith("trusts[0].retention: unknown field (check the spelling; the schema lists the allowed fields)")


def test_unknown_retention_class(broken):
    d = broken("trusts/london.yaml", lambda t: t["trusts"][0].update(retention_class="forever"))
    (error,) = errors_of(d)
    assert "trusts[0].retention_class: unknown retention class 'forever'" in error


def test_committed_schemas_are_current():
    for filename, model in SCHEMAS.items():
        committed = (REPO / "stacks" / "schemas" / filename).read_text()
        assert committed == schema_text(model), f"stacks/schemas/{filename} is stale: run `make schemas`"


def test_schemas_are_strict():
    schema = json.loads(schema_text(SCHEMAS["trusts.schema.json"]))
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["TrustEntry"]["additionalProperties"] is False


def test_estate_files_point_editors_at_their_schema():
    for path in [*ESTATE.rglob("*.yaml"), *DEV_ESTATE.rglob("*.yaml")]:
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        schema = (path.parent / first.split("=", 1)[1]).resolve()
        assert schema.is_file(), f"{path}: {schema} missing"


def test_cli_reports_bad_input_without_traceback(broken):
    d = broken("trusts/london.yaml", lambda t: t["trusts"][1].update(ods_code="rjz"))
    stack_dir = REPO / "stacks"
    # The CLI validates named stacks; point a throwaway stack file at the broken copy.
    estate_link = stack_dir / "estate-broken-test"
    stack_file = stack_dir / "Pulumi.broken-test.yaml"
    try:
        estate_link.symlink_to(d, target_is_directory=True)
        stack_file.write_text(
            "config:\n  imaging-cloud:role: dev\n  imaging-cloud:region: london\n"
            "  imaging-cloud:estate: estate-broken-test\n"
        )
        result = subprocess.run(
            [sys.executable, "-m", "infra.cli", "render", "--stack", "broken-test", "--out", str(d / "out")],
            cwd=REPO, capture_output=True, text=True, timeout=120,
        )
    finally:
        stack_file.unlink(missing_ok=True)
        estate_link.unlink(missing_ok=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "trusts/london.yaml:11: trusts[1].ods_code: 'rjz' is not valid" in result.stderr
    assert not (d / "out" / "plan.json").exists(), "nothing may be rendered from invalid input"
