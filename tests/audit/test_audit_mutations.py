"""Break the dev render the way a bad change would, one policy family at a time: the
audit must fail on a mandatory policy and say what to fix."""

from __future__ import annotations

import datetime as dt

from audit_helpers import AS_OF, add, audit, find, run_cli, violations


def test_residency_region_outside_the_uk(dev_plan):
    find(dev_plan, "Namespace", name="trust-rj1")["inputs"]["metadata"]["labels"]["imaging.nhs.uk/region"] = "eu-west-1"
    result = audit(dev_plan)
    assert result.exit_code == 1
    assert any("metadata.labels['imaging.nhs.uk/region'] is 'eu-west-1'" in m
               for m in violations(result, "uk-only-locations", "mandatory"))


def test_isolation_default_deny_removed(dev_plan, write_plan, tmp_path):
    deny = find(dev_plan, "NetworkPolicy", "trust-rp4", "default-deny")
    dev_plan["resources"].remove(deny)
    result = run_cli("--plan", str(write_plan(dev_plan)), "--out", str(tmp_path / "out"), "--as-of", AS_OF.isoformat())
    assert result.returncode == 1
    assert "MANDATORY namespaces-default-deny" in result.stderr
    assert "trust namespace trust-rp4 has no default-deny NetworkPolicy" in result.stderr
    assert "trust-rp4 has no default-deny" in (tmp_path / "out" / "report.html").read_text()


def test_isolation_load_balancer_in_a_trust(dev_plan):
    add(dev_plan, {"base": "archive-service", "set": {"metadata.namespace": "trust-rjz", "spec.type": "LoadBalancer"}})
    result = audit(dev_plan)
    assert result.exit_code == 1
    assert violations(result, "no-node-or-load-balancer-services", "mandatory") == [
        "spec.type is LoadBalancer in namespace trust-rjz: use ClusterIP and publish through the ingress zone (zone-ingress)"]


def test_isolation_cross_trust_policy_without_agreement(dev_plan):
    # RJ1 and RJZ share no agreement; open both ends of a route between their archives.
    add(dev_plan, {"base": "agreement-egress", "delete": ["metadata.labels"],
                   "set": {"metadata.namespace": "trust-rj1",
                           "spec.egress[0].to[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']": "trust-rjz"}})
    add(dev_plan, {"base": "allow-from-ingress",
                   "set": {"metadata.namespace": "trust-rjz", "metadata.name": "allow-from-rj1",
                           "spec.ingress[0].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']": "trust-rj1"}})
    result = audit(dev_plan)
    assert result.exit_code == 1
    messages = violations(result, "cross-trust-flows-need-live-agreement", "mandatory")
    assert len(messages) == 2
    assert any("opens spec.egress[0].to[0] to trust-rjz without a data sharing agreement between RJ1 and RJZ"
               in m for m in messages)
    flows = {(f.source, f.target, f.category) for c in result.estate.connectivity for f in c.flows.values()}
    assert ("trust-rj1", "trust-rjz", "unapproved") in flows, "the connectivity picture shows the unapproved flow"


def test_isolation_agreement_expires(dev_plan):
    result = audit(dev_plan, as_of=dt.date(2029, 2, 1))
    assert result.exit_code == 1
    assert any("which expired on 2029-01-15" in m for m in violations(result, "cross-trust-flows-need-live-agreement"))


def test_workload_privileged_root_container(dev_plan):
    add(dev_plan, {"base": "archive-deployment", "set": {
        "metadata.namespace": "trust-rj1",
        "spec.template.spec.containers[0].securityContext.privileged": True,
        "spec.template.spec.containers[0].securityContext.runAsUser": 0}})
    result = audit(dev_plan)
    assert result.exit_code == 1
    assert violations(result, "workload-not-privileged", "mandatory")
    assert any("runAsUser is 0" in m for m in violations(result, "workload-runs-as-non-root", "mandatory"))


def test_supply_chain_latest_image(dev_plan):
    add(dev_plan, {"base": "archive-deployment", "set": {
        "metadata.namespace": "trust-rj1",
        "spec.template.spec.containers[0].image": "registry.imaging.nhs.uk/mirror/orthancteam/orthanc:latest"}})
    result = audit(dev_plan)
    assert result.exit_code == 1
    assert any("orthanc:latest' is not pinned" in m for m in violations(result, "images-pinned", "mandatory"))


def test_archive_protect_dropped_and_recycling_on(dev_plan):
    bucket = add(dev_plan, {"base": "image-bucket", "set": {"metadata.namespace": "trust-rj1"}})
    assert audit(dev_plan).exit_code == 0, "a complete, protected, locked bucket passes"
    bucket["options"]["protect"] = False
    add(dev_plan, {"base": "archive-configmap", "set": {"metadata.namespace": "trust-rj1",
                                                        "data['orthanc.json'].MaximumStorageSize": 1000,
                                                        "data['orthanc.json'].MaximumStorageMode": "Recycle"}})
    result = audit(dev_plan)
    assert result.exit_code == 1
    assert any("options.protect is not true on ObjectBucketClaim trust-rj1/images" in m
               for m in violations(result, "data-resources-protected", "mandatory"))
    assert violations(result, "orthanc-storage-recycling-off", "mandatory")


def test_archive_lock_shorter_than_retention(dev_plan):
    add(dev_plan, {"base": "image-bucket", "set": {"metadata.namespace": "trust-rj1",
                                                   "metadata.annotations['imaging.nhs.uk/object-lock-days']": "30"}})
    result = audit(dev_plan)
    assert result.exit_code == 1
    assert any("is 30, below the" in m for m in violations(result, "object-lock-covers-retention-class", "mandatory"))


def test_monitoring_cluster_without_audit_policy(rendered_all):
    import copy

    plan = copy.deepcopy(rendered_all["national"].plan)
    cluster = find(plan, "Cluster", "imaging-clusters", "wales-workload")
    variables = cluster["inputs"]["spec"]["topology"]["variables"]
    variables[:] = [v for v in variables if v["name"] != "auditPolicy"]
    result = audit(plan)
    assert result.exit_code == 1
    assert violations(result, "workload-clusters-audit-policy", "mandatory") == [
        "spec.topology.variables[auditPolicy] is missing: every cluster gets the national audit policy "
        "(infra/cluster/audit_policy.py)"]


def test_monitoring_agents_point_elsewhere(dev_plan):
    add(dev_plan, {"base": "falco-release", "set": {
        "values.falcosidekick.config.webhook.address": "http://events.hub.imaging.nhs.uk"}})
    result = audit(dev_plan)
    assert result.exit_code == 1
    assert any("use https" in m for m in violations(result, "security-agents-report-to-hub", "mandatory"))


def test_secrets_plain_text_secret(dev_plan):
    add(dev_plan, {"base": "archive-secret", "set": {"metadata.namespace": "trust-rj1", "stringData.password": "pw"}})
    result = audit(dev_plan)
    assert result.exit_code == 1
    assert violations(result, "secret-data-marked-secret", "mandatory") == [
        "stringData['password'] is in plain text in the program: wrap it with pulumi.Output.secret(...)"]


def test_identity_wildcard_role(dev_plan):
    role = find(dev_plan, "Role", "trust-rrv", "trust-reader")
    role["inputs"]["rules"].append({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})
    result = audit(dev_plan)
    assert result.exit_code == 1
    assert any("resources contains '*'" in m for m in violations(result, "rbac-no-wildcards", "mandatory"))
    assert any("bind, escalate, impersonate" not in m and "grants *" in m
               for m in violations(result, "tenant-roles-cannot-escalate", "mandatory"))
