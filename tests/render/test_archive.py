"""Archive stores: one per trust, replicated, never lost to a configuration change."""

from __future__ import annotations

import copy
import re

from infra import guards
from infra.model.loader import load_estate
from infra.settings import STACKS_DIR

DATA_KINDS = {"ObjectBucketClaim", "CephObjectRealm", "CephObjectZoneGroup", "CephObjectZone", "CephObjectStore"}


def test_every_trust_has_an_archive_with_index_and_buckets(rendered_all):
    estate = load_estate(STACKS_DIR / "estate")
    for trust in estate.trusts:
        stack = rendered_all[trust.region]
        ns = trust.namespace
        kinds = [o["kind"] for o in stack.objects(namespace=ns)]
        assert kinds.count("ObjectBucketClaim") == 2, ns
        assert "Deployment" in kinds and "Certificate" in kinds, ns
        (index,) = [o for o in stack.objects("Cluster", ns) if o["apiVersion"] == "postgresql.cnpg.io/v1"]
        assert index["spec"]["backup"]["barmanObjectStore"]["wal"]["encryption"] == "aws:kms"
        replica_stack = rendered_all[estate.region(trust.region).replica_region]
        (replica,) = replica_stack.objects("Cluster", f"replica-{trust.ods_code.lower()}")
        assert replica["spec"]["replica"] == {"enabled": True, "source": "origin"}


def test_data_holding_resources_are_protected_and_retained(rendered_dev, rendered_all):
    for stack in [rendered_dev, *rendered_all.values()]:
        for r in stack.resources:
            kind = r["inputs"].get("kind")
            holds_data = kind in DATA_KINDS or (
                kind == "Cluster" and r["inputs"].get("apiVersion") in ("postgresql.cnpg.io/v1", "cluster.x-k8s.io/v1beta1")
            ) or (kind == "ExternalSecret" and r["inputs"]["metadata"]["name"] == "archive-storage-key")
            if holds_data:
                assert r["options"]["protect"] and r["options"]["retainOnDelete"], r["urn"]


def test_object_lock_floor_follows_the_trusts_retention_class(rendered_all):
    estate = load_estate(STACKS_DIR / "estate")
    for code in ("RP4", "RBV", "RJ1"):
        trust = estate.trust(code)
        floor = estate.retention(trust.retention_class).worm_floor_days
        stack = rendered_all[trust.region]
        for claim in stack.objects("ObjectBucketClaim", trust.namespace):
            annotations = claim["metadata"]["annotations"]
            assert annotations["imaging.nhs.uk/object-lock-mode"] == "COMPLIANCE"
            assert int(annotations["imaging.nhs.uk/object-lock-days"]) == floor
        (guard,) = [c for c in stack.objects("ConfigMap", trust.namespace) if c["metadata"]["name"] == "bucket-protection"]
        assert guard["data"]["OBJECT_LOCK_DAYS"] == str(floor)
    assert estate.retention("paediatric-imaging").worm_floor_days == 9132  # RP4, Great Ormond Street
    assert estate.retention("oncology-imaging").worm_floor_days == 10958  # RBV, The Christie


def test_no_secret_material_in_rendered_output(rendered_dev, rendered_all):
    pem = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
    for stack in [rendered_dev, *rendered_all.values()]:
        assert not stack.objects("Secret"), "Secrets come from operators, Vault or cert-manager, never Pulumi"
        text = (stack.directory / "plan.json").read_text()
        assert not pem.search(text)
        for path in stack.manifests.rglob("*.yaml"):
            assert not pem.search(path.read_text()), path


def test_no_data_holding_resource_is_replaced_or_deleted(rendered_all):
    for name, stack in rendered_all.items():
        assert guards.baseline_path(name).exists(), f"no baseline for {name}: run `make baselines`"
        assert guards.check_against_baseline(name, stack.plan) == [], name


def test_the_guard_names_a_deleted_or_replaced_archive(rendered_dev):
    baseline = guards.data_holding(rendered_dev.plan)
    changed = copy.deepcopy(rendered_dev.plan)
    renamed = next(r for r in changed["resources"] if r["inputs"].get("kind") == "ObjectBucketClaim")
    moved = next(r for r in changed["resources"] if r["inputs"].get("kind") == "Cluster")
    renamed["urn"] += "-renamed"
    moved["inputs"]["metadata"]["name"] = "archive-index-v2"
    problems = guards.compare(baseline, guards.data_holding(changed))
    assert len(problems) == 2
    assert any(p.startswith(f"ObjectBucketClaim {renamed['inputs']['metadata']['namespace']}/archive-images would be DELETED")
               or "would be DELETED" in p for p in problems)
    assert any("would be REPLACED (metadata.name: 'archive-index' -> 'archive-index-v2')" in p for p in problems)
