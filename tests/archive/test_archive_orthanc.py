"""Real archives: Debian's Orthanc, configured by the chart, proven with real DICOM clients.

Two trusts' archives (RX1 on the chart's default ports, RX2 next to it) run from the
orthanc.json the chart renders for ci/loopback-values.yaml and ci/loopback-trust-b-values.yaml,
with only the overrides listed in vna_archive_harness.DEBIAN_OVERRIDES. See conftest.py.
"""

from __future__ import annotations

import subprocess

import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from pydicom.uid import CTImageStorage
from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind, Verification

import vna_archive_harness as h

pytestmark = pytest.mark.orthanc

SUCCESS = 0x0000


def _tls(lab, cert_name):
    crt, key = lab.modality_certs[cert_name]
    return (h.tls_context(lab.pki.ca_cert, crt, key), "127.0.0.1")


def _associate(lab, archive, calling_aet, *contexts, cert="rx1-ct", called_aet=None, tls=True):
    ae = h.application_entity(calling_aet, *(contexts or (Verification,)))
    return ae.associate(
        "127.0.0.1", archive.dicom_port, ae_title=called_aet or archive.aet,
        bind_address=("127.0.0.1", 0), tls_args=_tls(lab, cert) if tls else None,
    )


def _refused(assoc) -> bool:
    refused = not assoc.is_established
    if assoc.is_established:
        assoc.release()
    return refused


def _store(lab, archive, calling_aet, cert, ds):
    assoc = _associate(lab, archive, calling_aet, CTImageStorage, cert=cert)
    assert assoc.is_established, f"{calling_aet} could not associate with {archive.aet}"
    try:
        return assoc.send_c_store(ds)
    finally:
        assoc.release()


def _api(archive, path, *, auth=None, method="GET", **kwargs):
    session = h.TimeoutSession(auth=auth)
    return session.request(method, archive.url + path, **kwargs)


def _dicomweb(archive, auth):
    return DICOMwebClient(url=archive.url + "/dicom-web", session=h.TimeoutSession(auth=auth))


# --------------------------------------------------------------------------------------------
# The configuration under test is the chart's
# --------------------------------------------------------------------------------------------


def test_it_should_run_the_charts_configuration_with_only_the_documented_debian_overrides(lab):
    for archive in lab.archives.values():
        chart, running = archive.chart_config, archive.config
        changed = {k for k in set(chart) | set(running) if chart.get(k) != running.get(k)}
        relocated = {k for k in changed if isinstance(chart.get(k), str) and chart[k].startswith(h.CONTAINER_ROOT + "/")}
        assert changed - relocated <= set(h.DEBIAN_OVERRIDES) - {"<paths>"}, changed
        for key in ("AuthenticationEnabled", "RemoteAccessAllowed", "DicomTlsEnabled", "DicomCheckCalledAet",
                    "DicomCheckModalityHost", "DicomAlwaysAllowEcho", "DicomAlwaysAllowStore", "DicomModalities",
                    "MaximumStorageSize", "MaximumPatientCount", "StoreMD5ForAttachments", "ExecuteLuaEnabled",
                    "WebDavEnabled", "RestApiWriteToFileSystemEnabled", "LimitFindResults", "PostgreSQL", "HttpPort",
                    "DicomPort"):
            assert running[key] == chart[key], key
        for key in h.NOT_ENFORCED_BY_DEBIAN:  # kept for the image, ignored by 1.10.1
            assert running[key] == chart[key], key


def test_it_should_keep_the_index_in_postgresql_over_tls(netns):
    for archive in netns.archives.values():
        system = _api(archive, "/system", auth=archive.local_user).json()
        assert "PostgreSQLIndex" in (system["DatabaseBackendPlugin"] or "")
        assert system["CheckRevisions"] is True
    # Each trust's role reaches only its own database, and only over TLS.
    pg = netns.archives["rx1"].chart_config["PostgreSQL"]
    other = netns.archives["rx2"]
    probe = subprocess.run(
        ["psql", f"host=127.0.0.1 port=5432 dbname={pg['Database']} user={other.chart_config['PostgreSQL']['Username']} "
                 "sslmode=require connect_timeout=5", "-c", "select 1"],
        env={"PGPASSWORD": other.secret_env["PGPASSWORD"], "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=20,
    )
    assert probe.returncode != 0 and "pg_hba.conf" in probe.stderr


# --------------------------------------------------------------------------------------------
# DICOM (DIMSE over TLS)
# --------------------------------------------------------------------------------------------


def test_it_should_answer_c_echo_from_a_registered_modality_over_dicom_tls(netns):
    assoc = _associate(netns, netns.archives["rx1"], "RX1_CT")
    assert assoc.is_established
    try:
        assert assoc.send_c_echo().Status == SUCCESS
    finally:
        assoc.release()


def test_it_should_accept_c_store_from_a_registered_modality_and_keep_an_md5(netns):
    rx1 = netns.archives["rx1"]
    ds = h.make_test_image("VNA-STORE-0001")
    assert _store(netns, rx1, "RX1_CT", "rx1-ct", ds).Status == SUCCESS
    found = _api(rx1, "/tools/find", auth=rx1.local_user, method="POST",
                 json={"Level": "Instance", "Query": {"SOPInstanceUID": ds.SOPInstanceUID}}).json()
    assert len(found) == 1
    md5 = _api(rx1, f"/instances/{found[0]}/attachments/dicom/md5", auth=rx1.local_user)
    assert md5.status_code == 200 and len(md5.text.strip()) == 32


def test_it_should_refuse_an_unknown_calling_ae_title(netns):
    assert _refused(_associate(netns, netns.archives["rx1"], "INTRUDER"))


def test_it_should_refuse_an_association_addressed_to_another_ae_title(netns):
    assert _refused(_associate(netns, netns.archives["rx1"], "RX1_CT", called_aet="SOME_OTHER_PACS"))


def test_it_should_refuse_a_registered_ae_title_calling_from_another_host(netns):
    # RX1_MR is registered at 192.0.2.10 (ci/loopback-values.yaml); here it calls from 127.0.0.1.
    assert netns.archives["rx1"].config["DicomModalities"]["mr-scanner"]["Host"] == "192.0.2.10"
    assert _refused(_associate(netns, netns.archives["rx1"], "RX1_MR", cert="rx1-mr"))


def test_it_should_refuse_dicom_without_tls(netns):
    assert _refused(_associate(netns, netns.archives["rx1"], "RX1_CT", tls=False))


def test_it_should_refuse_a_client_certificate_from_another_ca(netns):
    assert _refused(_associate(netns, netns.archives["rx1"], "RX1_CT", cert="rogue"))


def test_it_should_refuse_c_find_to_a_modality_only_allowed_to_echo_and_store(netns):
    rx1 = netns.archives["rx1"]
    query = h.make_test_image()
    for tag in list(query.keys()):
        del query[tag]
    query.QueryRetrieveLevel = "STUDY"
    query.StudyInstanceUID = ""

    def find(aet, cert):
        """Statuses of a study-level C-FIND (None: an empty status, i.e. the request was dropped)."""
        assoc = _associate(netns, rx1, aet, StudyRootQueryRetrieveInformationModelFind, cert=cert)
        assert assoc.is_established
        try:
            return [status.Status if status and "Status" in status else None
                    for status, _ in assoc.send_c_find(query, StudyRootQueryRetrieveInformationModelFind)]
        finally:
            assoc.release()

    assert find("RX1_RWS", "rx1-rws")[-1] == SUCCESS
    denied = find("RX1_CT", "rx1-ct")
    assert not {SUCCESS, 0xFF00, 0xFF01} & set(denied), denied


# --------------------------------------------------------------------------------------------
# HTTP API and DICOMweb
# --------------------------------------------------------------------------------------------


def test_it_should_refuse_http_requests_without_credentials(netns):
    for archive in netns.archives.values():
        for path in ("/system", "/patients", "/dicom-web/studies", "/tools/execute-script"):
            assert _api(archive, path).status_code == 401, path


def test_it_should_refuse_dicomweb_without_credentials(netns):
    with pytest.raises(requests.HTTPError) as err:
        _dicomweb(netns.archives["rx1"], None).search_for_studies()
    assert err.value.response.status_code == 401


def test_it_should_round_trip_an_image_through_stow_qido_and_wado(netns):
    rx1 = netns.archives["rx1"]
    client = _dicomweb(rx1, rx1.local_user)
    ds = h.make_test_image("VNA-STOW-0001")
    client.store_instances([ds])
    studies = client.search_for_studies(search_filters={"PatientID": "VNA-STOW-0001"})
    assert [s["0020000D"]["Value"][0] for s in studies] == [ds.StudyInstanceUID]
    back = client.retrieve_instance(ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)
    assert back.SOPInstanceUID == ds.SOPInstanceUID
    assert back.PixelData == ds.PixelData


def test_it_should_refuse_another_trusts_credentials(netns):
    rx1, rx2 = netns.archives["rx1"], netns.archives["rx2"]
    assert _api(rx1, "/system", auth=rx1.local_user).status_code == 200
    assert _api(rx2, "/system", auth=rx2.local_user).status_code == 200
    # A user of trust RX2 cannot use trust RX1's archive, nor the other way round ...
    assert _api(rx1, "/dicom-web/studies", auth=rx2.local_user).status_code == 401
    assert _api(rx2, "/dicom-web/studies", auth=rx1.local_user).status_code == 401
    with pytest.raises(requests.HTTPError) as err:
        _dicomweb(rx1, rx2.local_user).search_for_studies()
    assert err.value.response.status_code == 401
    # ... and a password is bound to its user name.
    name, _ = rx1.local_user
    assert _api(rx1, "/system", auth=(name, rx2.local_user[1])).status_code == 401


def test_it_should_keep_lua_execution_webdav_and_file_writes_off_even_for_registered_users(netns):
    rx1 = netns.archives["rx1"]
    script = _api(rx1, "/tools/execute-script", auth=rx1.local_user, method="POST", data="print(42)")
    assert script.status_code in (403, 404), script.text
    assert _api(rx1, "/webdav/", auth=rx1.local_user, method="PROPFIND").status_code in (403, 404, 405)
    assert _api(rx1, "/app/explorer.html", auth=rx1.local_user).status_code in (403, 404)
    # RestApiWriteToFileSystemEnabled: false - the REST API cannot write files on the server.
    ds = h.make_test_image("VNA-EXPORT-0001")
    assert _store(netns, rx1, "RX1_CT", "rx1-ct", ds).Status == SUCCESS
    instance = _api(rx1, "/tools/find", auth=rx1.local_user, method="POST",
                    json={"Level": "Instance", "Query": {"SOPInstanceUID": ds.SOPInstanceUID}}).json()[0]
    target = netns.root / "storage-export.dcm"
    export = _api(rx1, f"/instances/{instance}/export", auth=rx1.local_user, method="POST", data=str(target))
    assert export.status_code == 403 and not target.exists()


# --------------------------------------------------------------------------------------------
# Exchange between trusts (data sharing agreement)
# --------------------------------------------------------------------------------------------


def test_it_should_send_to_the_peer_trusts_archive_over_dicom_tls(netns):
    rx1, rx2 = netns.archives["rx1"], netns.archives["rx2"]
    ds = h.make_test_image("VNA-PEER-0001")
    assert _store(netns, rx1, "RX1_CT", "rx1-ct", ds).Status == SUCCESS
    found = _api(rx1, "/tools/find", auth=rx1.local_user, method="POST",
                 json={"Level": "Instance", "Query": {"SOPInstanceUID": ds.SOPInstanceUID}}).json()
    sent = _api(rx1, "/modalities/peer-rx2/store", auth=rx1.local_user, method="POST",
                json={"Resources": found, "Synchronous": True})
    assert sent.status_code == 200, sent.text
    at_peer = _api(rx2, "/tools/find", auth=rx2.local_user, method="POST",
                   json={"Level": "Instance", "Query": {"SOPInstanceUID": ds.SOPInstanceUID}}).json()
    assert len(at_peer) == 1
