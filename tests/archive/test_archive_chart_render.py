"""The vna-archive chart, rendered by Helm's own engine (helm-python-sdk), object by object."""

from __future__ import annotations

import copy
import json
import re

import helm_python
import kubernetes_validate
import pytest

import vna_archive_harness as h

SCENARIOS = sorted(p.name for p in h.CI_VALUES.glob("*-values.yaml"))


@pytest.fixture(scope="module")
def defaults() -> dict:
    """The smallest valid install: ci/default-values.yaml."""
    return h.load_values("default-values.yaml")


@pytest.fixture(scope="module")
def objects(defaults) -> list[dict]:
    return h.render(defaults)


@pytest.fixture(scope="module")
def full() -> list[dict]:
    return h.render(h.load_values("full-values.yaml"))


def _with(values: dict, path: str, value) -> dict:
    out = copy.deepcopy(values)
    node = out
    *parents, leaf = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
    return out


def _pod(objects):
    return h.one(objects, "Deployment")["spec"]["template"]["spec"]


def _container(objects):
    (container,) = _pod(objects)["containers"]
    return container


# --------------------------------------------------------------------------------------------
# Lint, render, validate
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_it_should_lint_without_errors_or_warnings(scenario):
    report = helm_python.lint(h.CHART, h.load_values(scenario), strict=True, namespace=h.NAMESPACE, kube_version="v1.33.0")
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_it_should_render_objects_that_kubernetes_1_33_accepts(scenario):
    objects = h.render(h.load_values(scenario))
    assert {o["kind"] for o in objects} >= {"ConfigMap", "Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy"}
    for obj in objects:
        kubernetes_validate.validate(obj, "1.33", strict=True)
        assert obj["metadata"]["namespace"] == h.NAMESPACE


def test_it_should_refuse_to_render_without_the_values_it_cannot_guess():
    with pytest.raises(helm_python.HelmRenderError) as err:
        h.render({})
    message = str(err.value)
    for required in ("orthanc.auth.usersSecret.name", "orthanc.tls.dicom.secretName", "orthanc.tls.https.secretName",
                     "postgresql.host", "postgresql.passwordSecret.name", "postgresql.caSecret.name",
                     "objectStorage.endpoint", "objectStorage.bucket", "objectStorage.credentialsSecret.name",
                     "objectStorage.encryption.secretName", "networkPolicy.egress.postgresql.namespace",
                     "networkPolicy.egress.objectStorage.namespace"):
        assert required in message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda v: v["orthanc"].update(modalities=[
            {"name": "ct", "aet": "CT1", "host": "10.0.0.1", "port": 104},
            {"name": "ct", "aet": "CT2", "host": "10.0.0.2", "port": 104}]), "twice"),
        (lambda v: v["orthanc"].update(
            modalities=[{"name": "peer-rx9", "aet": "CT1", "host": "10.0.0.1", "port": 104}],
            peers=[{"name": "rx9", "url": "https://rx9.nhs.uk/", "credentialsSecret": {"name": "c"},
                    "modality": {"aet": "RX9", "host": "10.0.0.9", "port": 4242},
                    "egress": {"cidr": "10.0.0.9/32", "ports": [4242]}}]), "collides"),
        (lambda v: v["orthanc"].update(peers=[
            {"name": "rx9", "url": "https://rx9.nhs.uk/", "credentialsSecret": {"name": "c"},
             "modality": {"aet": "RX9", "host": "10.0.0.9", "port": 4242},
             "egress": {"namespace": "trust-rx9", "cidr": "10.0.0.9/32", "ports": [4242]}}]), "exactly one"),
        (lambda v: v["orthanc"].update(peers=[
            {"name": "rx9", "url": "https://rx9.nhs.uk/", "credentialsSecret": {"name": "c"},
             "modality": {"aet": "RX9", "host": "10.0.0.9", "port": 4242}, "egress": {"ports": [4242]}}]), "blocks all"),
        (lambda v: v["objectStorage"]["encryption"].update(previousMasterKeys=[{"id": 1, "key": "old.key"}]), "twice"),
    ],
    ids=["duplicate-modality", "peer-name-collision", "peer-egress-ambiguous", "peer-egress-missing", "duplicate-key-id"],
)
def test_it_should_refuse_contradictory_inputs_with_one_plain_sentence(defaults, change, message):
    values = copy.deepcopy(defaults)
    change(values)
    with pytest.raises(helm_python.HelmRenderError, match=message):
        h.render(values)


# --------------------------------------------------------------------------------------------
# Workload hardening
# --------------------------------------------------------------------------------------------


def test_it_should_pin_the_image_by_tag_and_digest_from_the_national_mirror(objects):
    image = _container(objects)["image"]
    assert re.fullmatch(r"registry\.imaging\.nhs\.uk/mirror/orthancteam/orthanc:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}", image)


def test_it_should_run_as_a_non_root_user_under_the_restricted_pod_security_standard(objects):
    pod, container = _pod(objects), _container(objects)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    sc = container["securityContext"]
    assert sc["runAsNonRoot"] is True and sc["runAsUser"] != 0
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["privileged"] is False
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert "hostNetwork" not in pod and "hostPID" not in pod and "hostIPC" not in pod


def test_it_should_never_mount_a_service_account_token(objects):
    assert _pod(objects)["automountServiceAccountToken"] is False
    assert h.one(objects, "ServiceAccount")["automountServiceAccountToken"] is False
    assert _pod(objects)["enableServiceLinks"] is False


def test_it_should_set_cpu_and_memory_requests_and_limits(objects):
    resources = _container(objects)["resources"]
    for kind in ("requests", "limits"):
        assert set(resources[kind]) == {"cpu", "memory"}


def test_it_should_probe_startup_liveness_and_readiness_without_credentials(objects):
    container = _container(objects)
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert "tcpSocket" in container[probe], probe
    assert container["startupProbe"]["failureThreshold"] * container["startupProbe"]["periodSeconds"] >= 300


def test_it_should_write_only_to_a_size_limited_tmp_volume(objects):
    pod, container = _pod(objects), _container(objects)
    writable = [m for m in container["volumeMounts"] if not m.get("readOnly")]
    assert [m["mountPath"] for m in writable] == ["/tmp"]
    tmp = next(v for v in pod["volumes"] if v["name"] == writable[0]["name"])
    assert tmp["emptyDir"]["sizeLimit"]
    assert all("hostPath" not in v for v in pod["volumes"])


def test_it_should_mount_secret_files_readable_by_the_orthanc_group_only(objects):
    for volume in _pod(objects)["volumes"]:
        source = volume.get("secret") or volume.get("projected")
        if source is not None:
            assert source["defaultMode"] == 0o440, volume["name"]


def test_it_should_take_every_credential_from_existing_secrets(objects, full):
    for objs in (objects, full):
        container = _container(objs)
        for env in container["env"]:
            if re.search(r"PASSWORD|SECRET|ACCESS_KEY|USERNAME", env["name"]):
                assert "secretKeyRef" in env["valueFrom"], env["name"]
        assert not h.by_kind(objs, "Secret"), "the chart must never create Secrets"
        config_text = h.one(objs, "ConfigMap", "-config")["data"]["orthanc.json"]
        config = json.loads(config_text)
        assert "RegisteredUsers" not in config
        assert "Password" not in config["PostgreSQL"]
        assert not {"AccessKey", "SecretKey"} & set(config["AwsS3Storage"])
        for peer in config["OrthancPeers"].values():
            assert re.fullmatch(r"\$\{VNA_PEER_[A-Z0-9_]+_(USERNAME)\}", peer["Username"])
            assert re.fullmatch(r"\$\{VNA_PEER_[A-Z0-9_]+_(PASSWORD)\}", peer["Password"])


def test_it_should_load_the_users_secret_next_to_the_rendered_configuration(objects):
    config = next(v for v in _pod(objects)["volumes"] if v["name"] == "config")["projected"]["sources"]
    assert config[0]["configMap"]["items"] == [{"key": "orthanc.json", "path": "orthanc.json"}]
    assert config[1]["secret"] == {"name": "rx1-archive-users", "items": [{"key": "users.json", "path": "users.json"}]}
    container = _container(objects)
    assert container["command"] == ["/usr/local/bin/Orthanc"]
    assert container["args"] == ["/etc/orthanc-archive/config/"]


def test_it_should_roll_the_pods_when_the_orthanc_configuration_changes(defaults):
    before = h.one(h.render(defaults), "Deployment")["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    after = h.one(h.render(_with(defaults, "orthanc.limits", {"findResults": 50, "findInstances": 500})), "Deployment")
    assert after["spec"]["template"]["metadata"]["annotations"]["checksum/config"] != before


def test_it_should_label_every_object_with_the_trust(objects):
    for obj in objects:
        assert obj["metadata"]["labels"]["imaging.nhs.uk/trust"] == "RX1"
        assert obj["metadata"]["labels"]["app.kubernetes.io/part-of"] == "imaging-cloud"


# --------------------------------------------------------------------------------------------
# Service, disruption budget, network policies
# --------------------------------------------------------------------------------------------


def test_it_should_expose_only_a_cluster_ip_service_on_the_dicom_and_https_ports(objects):
    service = h.one(objects, "Service")
    assert service["spec"]["type"] == "ClusterIP"
    assert {(p["name"], p["port"]) for p in service["spec"]["ports"]} == {("dicom-tls", 4242), ("https", 8042)}


def test_it_should_select_exactly_the_archive_pods_everywhere(objects):
    deployment = h.one(objects, "Deployment")
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert set(selector.items()) <= set(deployment["spec"]["template"]["metadata"]["labels"].items())
    assert h.one(objects, "Service")["spec"]["selector"] == selector
    assert h.one(objects, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"] == selector
    policies = h.by_kind(objects, "NetworkPolicy")
    assert len(policies) == 2
    for policy in policies:
        assert policy["spec"]["podSelector"]["matchLabels"] == selector


def test_it_should_never_let_a_disruption_budget_block_node_drains(objects):
    pdb = h.one(objects, "PodDisruptionBudget")["spec"]
    assert pdb == {"maxUnavailable": 1, "selector": pdb["selector"]}


def test_it_should_deny_all_ingress_by_default(objects):
    ingress = h.one(objects, "NetworkPolicy", "-ingress")["spec"]
    assert ingress["policyTypes"] == ["Ingress"]
    assert ingress["ingress"] == []


def test_it_should_admit_only_listed_namespaces_by_their_immutable_name_on_exact_ports(full):
    rules = h.one(full, "NetworkPolicy", "-ingress")["spec"]["ingress"]
    seen = {}
    for rule in rules:
        (peer,) = rule["from"]
        assert set(peer) == {"namespaceSelector"}, "namespaces only, never a pod or IP selector"
        (expr,) = peer["namespaceSelector"]["matchExpressions"]
        assert "matchLabels" not in peer["namespaceSelector"]
        assert expr["key"] == "kubernetes.io/metadata.name" and expr["operator"] == "In"
        (port,) = rule["ports"]
        assert port["protocol"] == "TCP"
        seen[port["port"]] = expr["values"]
    assert seen == {11112: ["dicom-router-rx2"], 8443: ["imaging-gateway", "viewer-rx2"]}


def test_it_should_allow_egress_only_to_dns_postgresql_object_storage_and_declared_peers(objects, full):
    def destinations(objs):
        # The shared egress policy plus one policy per peer (labelled with its agreement).
        specs = [o["spec"] for o in objs if o["kind"] == "NetworkPolicy"
                 and (o["metadata"]["name"].endswith("-egress") or "-peer-" in o["metadata"]["name"])]
        out = set()
        for rule in [r for spec in specs for r in spec["egress"]]:
            (to,) = rule["to"]
            where = (to["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] if "namespaceSelector" in to
                     else to["ipBlock"]["cidr"])
            out |= {(where, p["protocol"], p["port"]) for p in rule["ports"]}
        return out

    assert destinations(objects) == {
        ("kube-system", "UDP", 53), ("kube-system", "TCP", 53),
        ("imaging-db", "TCP", 5432), ("imaging-storage", "TCP", 443),
    }
    assert destinations(full) == {
        ("kube-system", "UDP", 53), ("kube-system", "TCP", 53),
        ("imaging-db", "TCP", 5433), ("imaging-storage", "TCP", 9000),
        ("trust-rx1", "TCP", 4242), ("trust-rx1", "TCP", 8042),
        ("10.99.0.10/32", "TCP", 443), ("10.99.0.10/32", "TCP", 11112),
    }


# --------------------------------------------------------------------------------------------
# orthanc.json
# --------------------------------------------------------------------------------------------

HARDENED = {
    "AuthenticationEnabled": True,
    "RemoteAccessAllowed": True,  # only together with AuthenticationEnabled
    "SslEnabled": True,
    "SslMinimumProtocolVersion": 4,
    "HttpDescribeErrors": False,
    "OrthancExplorerEnabled": False,
    "MetricsEnabled": False,
    "WebDavEnabled": False,
    "WebDavUploadAllowed": False,
    "WebDavDeleteAllowed": False,
    "ExecuteLuaEnabled": False,
    "LuaScripts": [],
    "RestApiWriteToFileSystemEnabled": False,
    "DicomCheckCalledAet": True,
    "StrictAetComparison": True,
    "DicomCheckModalityHost": True,
    "DicomAlwaysAllowEcho": False,
    "DicomAlwaysAllowStore": False,
    "DicomAlwaysAllowFind": False,
    "DicomAlwaysAllowFindWorklist": False,
    "DicomAlwaysAllowGet": False,
    "DicomAlwaysAllowMove": False,
    "UnknownSopClassAccepted": False,
    "DicomModalitiesInDatabase": False,
    "OrthancPeersInDatabase": False,
    "DicomModalities": {},
    "OrthancPeers": {},
    "DicomTlsEnabled": True,
    "DicomTlsRemoteCertificateRequired": True,
    "HttpsVerifyPeers": True,
    "HttpsCACertificates": "/etc/ssl/certs/ca-certificates.crt",
    "MaximumStorageSize": 0,
    "MaximumPatientCount": 0,
    "MaximumStorageMode": "Reject",
    "OverwriteInstances": False,
    "StoreMD5ForAttachments": True,
    "LimitFindResults": 100,
    "LimitFindInstances": 1000,
    "DeidentifyLogs": True,
}


@pytest.mark.parametrize(("key", "expected"), sorted(HARDENED.items()))
def test_it_should_render_a_hardened_orthanc_configuration_by_default(objects, key, expected):
    assert h.orthanc_config(objects)[key] == expected


def test_it_should_load_only_the_dicomweb_postgresql_and_s3_plugins(objects):
    config = h.orthanc_config(objects)
    assert [p.rsplit("/", 1)[1] for p in config["Plugins"]] == [
        "libOrthancDicomWeb.so", "libOrthancPostgreSQLIndex.so", "libOrthancAwsS3Storage.so"]
    assert config["DicomWeb"]["Enable"] is True and config["DicomWeb"]["EnableWado"] is False


def test_it_should_index_in_postgresql_over_tls_and_store_encrypted_in_s3(objects):
    config = h.orthanc_config(objects)
    assert config["PostgreSQL"]["EnableIndex"] is True and config["PostgreSQL"]["EnableStorage"] is False
    assert config["PostgreSQL"]["EnableSsl"] is True
    env = {e["name"]: e for e in _container(objects)["env"]}
    assert env["PGSSLROOTCERT"]["value"].startswith("/etc/orthanc-archive/tls/postgresql/")
    assert env["AWS_EC2_METADATA_DISABLED"]["value"] == "true"
    s3 = config["AwsS3Storage"]
    assert s3["Endpoint"].startswith("https://")
    assert s3["StorageEncryption"]["Enable"] is True
    assert s3["StorageEncryption"]["MasterKey"] == [1, "/etc/orthanc-archive/keys/master-1.key"]


def test_it_should_switch_the_postgresql_lock_off_only_when_replicas_share_the_index(defaults):
    assert h.orthanc_config(h.render(_with(defaults, "replicaCount", 1)))["PostgreSQL"]["Lock"] is True
    assert h.orthanc_config(h.render(_with(defaults, "replicaCount", 3)))["PostgreSQL"]["Lock"] is False


def test_it_should_grant_a_modality_only_the_commands_it_was_given_and_use_tls_towards_it(defaults):
    values = _with(defaults, "orthanc.modalities", [
        {"name": "ct", "aet": "CT1", "host": "10.0.0.1", "port": 104, "permissions": {"store": True}}])
    entry = h.orthanc_config(h.render(values))["DicomModalities"]["ct"]
    assert entry["AllowStore"] is True
    for permission in ("AllowEcho", "AllowFind", "AllowFindWorklist", "AllowGet", "AllowMove", "AllowStorageCommitment"):
        assert entry[permission] is False, permission
    assert entry["UseDicomTls"] is True


def test_it_should_register_each_peer_as_an_orthanc_peer_and_a_tls_only_modality(full):
    config = h.orthanc_config(full)
    assert config["OrthancPeers"]["rx1"]["Url"].startswith("https://")
    assert config["DicomModalities"]["peer-rx1"]["AET"] == "RX1_VNA"
    assert all(config["DicomModalities"][f"peer-{p}"]["UseDicomTls"] for p in config["OrthancPeers"])
    env = {e["name"] for e in _container(full)["env"]}
    assert {"VNA_PEER_RX1_USERNAME", "VNA_PEER_RX1_PASSWORD", "VNA_PEER_REGIONAL_IEP_PASSWORD"} <= env


def test_it_should_trust_a_private_ca_for_outbound_https_when_given_one(full):
    assert h.orthanc_config(full)["HttpsCACertificates"] == "/etc/orthanc-archive/tls/outbound/bundle.pem"


def test_it_should_label_each_peer_policy_with_its_sharing_agreement():
    values = h.load_values("full-values.yaml")
    values["orthanc"]["peers"][0]["agreement"] = "dsa-2026-0001"
    objects = h.render(values)
    peer_policies = [o for o in objects if o["kind"] == "NetworkPolicy" and "-peer-" in o["metadata"]["name"]]
    assert len(peer_policies) == len(values["orthanc"]["peers"])
    labelled = [p for p in peer_policies if p["metadata"]["labels"].get("imaging.nhs.uk/sharing-agreement") == "dsa-2026-0001"]
    assert len(labelled) == 1
