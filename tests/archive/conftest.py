"""Fixtures for the vna-archive tests.

The `orthanc`-marked tests run two real trust archives (RX1 and RX2) on this host:

* one PostgreSQL server (initdb into a temporary directory, run as `postgres`, TLS on,
  scram-sha-256 passwords, one database and role per trust, 127.0.0.1:5432);
* for each trust, Debian's Orthanc run as `orthanc` with the orthanc.json rendered by the
  chart from ci/loopback-values.yaml (RX1) and ci/loopback-trust-b-values.yaml (RX2), changed
  only as listed in vna_archive_harness.DEBIAN_OVERRIDES;
* all inside a private network namespace that has only a loopback interface, so every
  connection is to 127.0.0.1 and the listeners cannot be reached from any other host.

Everything is started once per session and stopped (by process handle) at the end; the
temporary directory is removed. Needs root (network namespace, switching users) and the
packages from scripts/install-test-deps.sh; otherwise these tests are skipped with the reason.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for infra.*

import vna_archive_harness as h  # noqa: E402
from infra.archive.orthanc_config import registered_users_document  # noqa: E402

START_TIMEOUT = 60  # seconds for PostgreSQL or Orthanc to listen


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--archive-host",
        default=None,
        help=(
            "testinfra host for tests/archive/test_archive_host.py, e.g. "
            "'kubectl://rx1-archive-abc123?namespace=trust-rx1&container=orthanc'. "
            "Default (also via ARCHIVE_HOST): local:// against the archives the fixtures start."
        ),
    )


@dataclass
class Archive:
    trust: str
    values_file: str
    aet: str
    dicom_port: int
    http_port: int
    root: Path
    users: dict[str, str]
    secret_env: dict[str, str]
    chart_config: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.config.get("SslEnabled") else "http"
        return f"{scheme}://127.0.0.1:{self.http_port}"

    @property
    def local_user(self) -> tuple[str, str]:
        name = f"{self.trust}-radiologist"
        return name, self.users[name]


@dataclass
class Lab:
    ns: h.LoopbackNamespace
    root: Path
    pki: h.Pki
    archives: dict[str, Archive]
    postgres: subprocess.Popen[bytes] | None = None
    postgres_data: Path | None = None
    modality_certs: dict[str, tuple[Path, Path]] = field(default_factory=dict)


def _missing_prerequisites() -> str | None:
    if os.geteuid() != 0:
        return "needs root (private network namespace, running PostgreSQL/Orthanc as their own users)"
    for tool in (h.DEBIAN_ORTHANC, "/usr/bin/openssl", "/usr/bin/unshare", "/usr/bin/nsenter"):
        if not os.path.exists(tool):
            return f"{tool} missing: run scripts/install-test-deps.sh"
    for plugin in ("libOrthancDicomWeb.so", "libOrthancPostgreSQLIndex.so"):
        if not os.path.exists(f"{h.DEBIAN_PLUGIN_DIR}/{plugin}"):
            return f"{plugin} missing: run scripts/install-test-deps.sh"
    try:
        h.postgres_bin("initdb")
    except FileNotFoundError as exc:
        return str(exc)
    return None


def _start_postgres(lab: Lab) -> None:
    """PostgreSQL on 127.0.0.1:5432 with TLS; one role and database per trust, as the chart's
    values name them, with the password the archive gets through PGPASSWORD."""
    databases = {
        a.chart_config["PostgreSQL"]["Username"]: (a.chart_config["PostgreSQL"]["Database"], a.secret_env["PGPASSWORD"])
        for a in lab.archives.values()
    }
    pg = lab.root / "postgresql"
    data, sock = pg / "data", pg / "socket"
    for d in (pg, sock):
        d.mkdir(mode=0o700)
        shutil.chown(d, "postgres", "postgres")
    h.run(["runuser", "-u", "postgres", "--", h.postgres_bin("initdb"), "-D", str(data),
           "--auth-local=peer", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-instructions"], timeout=120)
    crt, key = lab.pki.issue("postgresql")
    h.install_file(crt, data / "server.crt", owner="postgres", group="postgres", mode=0o600)
    h.install_file(key, data / "server.key", owner="postgres", group="postgres", mode=0o600)
    with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write(
            "\n# vna-archive test server\n"
            "listen_addresses = '127.0.0.1'\nport = 5432\n"
            f"unix_socket_directories = '{sock}'\n"
            "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
            "ssl_min_protocol_version = 'TLSv1.2'\npassword_encryption = 'scram-sha-256'\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            "shared_buffers = 32MB\nmax_connections = 40\n"
        )
    # TLS only over TCP, and each trust's role reaches only its own database.
    hba = ["local all postgres peer"]
    hba += [f"hostssl {db} {role} 127.0.0.1/32 scram-sha-256" for role, (db, _) in databases.items()]
    hba += ["host all all 0.0.0.0/0 reject"]
    (data / "pg_hba.conf").write_text("\n".join(hba) + "\n", encoding="utf-8")
    lab.postgres_data = data
    log = pg / "postgresql.log"
    with open(log, "wb") as out:
        lab.postgres = subprocess.Popen(
            [h.postgres_bin("postgres"), "-D", str(data)], user="postgres", group="postgres", extra_groups=[],
            preexec_fn=h.no_new_privileges, stdout=out, stderr=subprocess.STDOUT, cwd=str(pg),
        )
    h.wait_for_port(5432, timeout=START_TIMEOUT, process=lab.postgres, log=log)
    psql = ["runuser", "-u", "postgres", "--", h.postgres_bin("psql"), "-h", str(sock), "-v", "ON_ERROR_STOP=1", "-q"]
    for role, (db, password) in databases.items():
        h.run(psql + ["-c", f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"])
        h.run(psql + ["-c", f"CREATE DATABASE {db} OWNER {role}"])
        h.run(psql + ["-c", f"REVOKE ALL ON DATABASE {db} FROM PUBLIC"])


def _install_archive_files(lab: Lab, archive: Archive) -> None:
    """Lay out what the chart mounts, under the archive's directory, as Kubernetes would:
    root-owned, group `orthanc` (fsGroup), mode 0440 (directories 0750)."""
    r = archive.root
    r.mkdir(mode=0o750)
    shutil.chown(r, "root", "orthanc")
    chart = archive.chart_config
    crt, key = lab.pki.issue(f"{archive.trust}-archive")

    def put(container_path: str, content: Path | bytes) -> Path:
        dst = Path(str(r) + container_path[len(h.CONTAINER_ROOT):])
        for parent in reversed(dst.relative_to(r).parents[:-1]):
            d = r / parent
            if not d.exists():
                d.mkdir(mode=0o750)
                shutil.chown(d, "root", "orthanc")
        h.install_file(content, dst, owner="root", group="orthanc", mode=0o440)
        return dst

    put(chart["DicomTlsCertificate"], crt)
    put(chart["DicomTlsPrivateKey"], key)
    put(chart["DicomTlsTrustedCertificates"], lab.pki.ca_cert)
    put(chart["SslCertificate"], key.read_bytes() + crt.read_bytes())
    put(chart["HttpsCACertificates"], lab.pki.ca_cert)
    put(h.CONTAINER_ROOT + "/tls/postgresql/ca.crt", lab.pki.ca_cert)
    put(h.CONTAINER_ROOT + "/config/users.json", registered_users_document(archive.users).encode())
    storage = r / "storage"
    storage.mkdir(mode=0o700)
    shutil.chown(storage, "orthanc", "orthanc")
    archive.config = h.adapt_to_debian(chart, mount_root=str(r), storage_dir=str(storage))
    put(h.CONTAINER_ROOT + "/config/orthanc.json", json.dumps(archive.config, indent=2).encode())
    for mounted in sorted({p.parent for p in r.rglob("*") if p.is_file() and storage not in p.parents}):
        h.kubelet_volume_layout(mounted)


def _start_orthanc(archive: Archive) -> None:
    archive.log = archive.root.parent / f"{archive.trust}-orthanc.log"
    env = {"PATH": "/usr/sbin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(archive.root / "storage")}
    env.update(archive.secret_env)
    env["PGSSLROOTCERT"] = str(archive.root / "tls/postgresql/ca.crt")
    with open(archive.log, "wb") as out:
        archive.process = subprocess.Popen(
            [h.DEBIAN_ORTHANC, str(archive.root / "config") + "/"], user="orthanc", group="orthanc", extra_groups=[],
            env=env, preexec_fn=h.no_new_privileges, stdout=out, stderr=subprocess.STDOUT, cwd=str(archive.root / "storage"),
        )
    # Orthanc opens its DICOM port before its HTTP port (a plain TCP probe of the DICOM TLS port
    # would only leave a handshake error in the log).
    h.wait_for_port(archive.http_port, timeout=START_TIMEOUT, process=archive.process, log=archive.log)


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """Two trusts' archives (RX1, RX2) and their PostgreSQL, running in a loopback-only namespace."""
    reason = _missing_prerequisites()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="vna-archive-"))
    os.chmod(root, 0o755)
    pki_dir = root / "pki"
    pki_dir.mkdir(mode=0o700)
    ns = h.LoopbackNamespace()
    lab = Lab(ns=ns, root=root, pki=h.Pki(pki_dir), archives={})
    pw = lambda: secrets.token_urlsafe(24)  # noqa: E731
    exchange = {"rx1": pw(), "rx2": pw()}  # credentials one trust issued to the other (DSA)
    for trust, values_file, other in (("rx1", "loopback-values.yaml", "rx2"), ("rx2", "loopback-trust-b-values.yaml", "rx1")):
        chart_config = h.orthanc_config(h.render(h.load_values(values_file)))
        archive = Archive(
            trust=trust, values_file=values_file, aet=chart_config["DicomAet"],
            dicom_port=chart_config["DicomPort"], http_port=chart_config["HttpPort"], root=root / trust,
            users={f"{trust}-radiologist": pw(), f"{other}-exchange": exchange[other]},
            secret_env={
                f"VNA_PEER_{other.upper()}_USERNAME": f"{trust}-exchange",
                f"VNA_PEER_{other.upper()}_PASSWORD": exchange[trust],
                "PGPASSWORD": pw(),
            },
            chart_config=chart_config,
        )
        lab.archives[trust] = archive
    try:
        ns.create()
        lab.pki.create_ca()
        lab.pki.create_ca("rogue-ca", cn="not the imaging-cloud CA")
        for name in ("rx1-ct", "rx1-rws", "rx1-mr", "rx2-ct"):
            lab.modality_certs[name] = lab.pki.issue(name)
        lab.modality_certs["rogue"] = lab.pki.issue("rogue", ca="rogue-ca")
        for archive in lab.archives.values():
            _install_archive_files(lab, archive)
        with ns.entered():
            _start_postgres(lab)
            for archive in lab.archives.values():
                _start_orthanc(archive)
        yield lab
    finally:
        for archive in lab.archives.values():  # ask both to stop first: each takes a few seconds
            if archive.process is not None and archive.process.poll() is None:
                archive.process.terminate()
        for archive in lab.archives.values():
            h.stop(archive.process)
        h.stop(lab.postgres, sig_timeout=20, sig=signal.SIGINT)  # PostgreSQL's fast shutdown
        ns.destroy()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def netns(lab: Lab) -> Iterator[Lab]:
    """Run the test body inside the archives' namespace (and back out afterwards)."""
    with lab.ns.entered():
        yield lab
