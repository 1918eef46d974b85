"""Helpers for the vna-archive tests: render the chart, and run real archives on this host.

Rendering goes through Helm's own engine (helm-python-sdk). The real-archive part starts, for
each trust, a PostgreSQL-indexed Orthanc from Debian's packages, configured with the
orthanc.json that the chart renders, inside a private network namespace that has nothing but
a loopback interface (so Orthanc's 0.0.0.0 listeners are reachable from 127.0.0.1 only and
never from another host).
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "vna-archive"
CI_VALUES = CHART / "ci"
RELEASE = "vna"
NAMESPACE = "trust-rx1"

# Where the chart mounts everything Orthanc reads (templates/_orthanc.tpl, "vna-archive.paths").
CONTAINER_ROOT = "/etc/orthanc-archive"
DEBIAN_PLUGIN_DIR = "/usr/share/orthanc/plugins"
DEBIAN_ORTHANC = "/usr/sbin/Orthanc"
S3_PLUGIN = "libOrthancAwsS3Storage.so"

# Every change made to the chart's orthanc.json before Debian's Orthanc 1.10.1 runs it, and why.
# test_archive_orthanc.py checks that nothing else differs.
DEBIAN_OVERRIDES: dict[str, str] = {
    "Plugins": (
        "the image keeps plugins in /usr/share/orthanc/plugins-available, Debian in "
        "/usr/share/orthanc/plugins; and Debian does not package the S3 storage plugin, so it is dropped"
    ),
    "AwsS3Storage": "removed with the S3 plugin (no S3 plugin in Debian, no S3 service in the test)",
    "StorageDirectory": (
        "added: without the S3 plugin the files go to Orthanc's filesystem storage in the "
        "fixture's directory (StorageEncryption is therefore not exercised here)"
    ),
    "IndexDirectory": "added next to StorageDirectory so 1.10.1 never falls back to its working directory",
    "SslEnabled": (
        "false: Debian bookworm's Orthanc 1.10.1 (civetweb against OpenSSL 3) dies with SIGSEGV in a "
        "civetweb worker on the first HTTPS request; the tests therefore speak plain HTTP to it, "
        "inside the loopback-only namespace. DICOM TLS is unaffected and stays on"
    ),
    "<paths>": (
        f"every path under the container mount root {CONTAINER_ROOT} is moved under the fixture's "
        "directory (certificates, keys, CA bundles)"
    ),
}
# Kept in the chart for the orthancteam image but not enforced by Debian's 1.10.1 (it ignores
# unknown keys): documented, not overridden.
NOT_ENFORCED_BY_DEBIAN = {"MaximumStorageMode": "new in Orthanc 1.11; both limits are 0 anyway"}


# ---------------------------------------------------------------------------------------------
# Chart rendering
# ---------------------------------------------------------------------------------------------


def load_values(name: str) -> dict[str, Any]:
    """A ci/ scenario file as a dict."""
    return yaml.safe_load((CI_VALUES / name).read_text(encoding="utf-8")) or {}


def render(values: dict[str, Any] | None, *, name: str = RELEASE, namespace: str = NAMESPACE) -> list[dict[str, Any]]:
    """Rendered Kubernetes objects (NOTES.txt excluded), in template order."""
    with helm_python.Chart.load(CHART) as chart:
        manifests = chart.render(values or {}, name=name, namespace=namespace)
    objects: list[dict[str, Any]] = []
    for template, text in sorted(manifests.items()):
        if template.endswith("NOTES.txt"):
            continue
        objects.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return objects


def by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o.get("kind") == kind]


def one(objects: list[dict[str, Any]], kind: str, suffix: str = "") -> dict[str, Any]:
    found = [o for o in by_kind(objects, kind) if o["metadata"]["name"].endswith(suffix)]
    assert len(found) == 1, f"expected one {kind} ending in {suffix!r}, found {[o['metadata']['name'] for o in found]}"
    return found[0]


def orthanc_config(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The orthanc.json the chart renders into its ConfigMap."""
    return json.loads(one(objects, "ConfigMap", "-config")["data"]["orthanc.json"])


# ---------------------------------------------------------------------------------------------
# Adapting the chart's configuration to Debian's Orthanc
# ---------------------------------------------------------------------------------------------


def _relocate(node: Any, root: str) -> Any:
    if isinstance(node, str) and node.startswith(CONTAINER_ROOT + "/"):
        return root.rstrip("/") + node[len(CONTAINER_ROOT):]
    if isinstance(node, list):
        return [_relocate(item, root) for item in node]
    if isinstance(node, dict):
        return {key: _relocate(value, root) for key, value in node.items()}
    return node


def adapt_to_debian(chart_config: dict[str, Any], *, mount_root: str, storage_dir: str) -> dict[str, Any]:
    """The chart's orthanc.json with exactly the DEBIAN_OVERRIDES applied."""
    config = _relocate(copy.deepcopy(chart_config), mount_root)
    config["Plugins"] = [
        f"{DEBIAN_PLUGIN_DIR}/{os.path.basename(p)}" for p in config["Plugins"] if os.path.basename(p) != S3_PLUGIN
    ]
    del config["AwsS3Storage"]
    config["SslEnabled"] = False
    config["StorageDirectory"] = storage_dir
    config["IndexDirectory"] = storage_dir
    return config


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------


def wait_for_port(port: int, *, timeout: float, process: subprocess.Popen[bytes] | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}:\n{tail}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout}s:\n{tail}")


def stop(process: subprocess.Popen[bytes] | None, *, sig_timeout: float = 15, sig: int = signal.SIGTERM) -> None:
    """Stop a process we started (by its handle, never by name) and reap it; SIGKILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=sig_timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


_PR_SET_NO_NEW_PRIVS = 38


def no_new_privileges() -> None:
    """preexec_fn: the child can never gain privileges (the pod's allowPrivilegeEscalation: false)."""
    if ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    kwargs.setdefault("timeout", 60)
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kwargs)


# ---------------------------------------------------------------------------------------------
# A private network namespace for this thread (and every process and thread it starts)
# ---------------------------------------------------------------------------------------------

_CLONE_NEWNET = 0x40000000


class LoopbackNamespace:
    """A network namespace that only has `lo`, which threads can step into and out of.

    Linux network namespaces are per thread: inside ``entered()`` the sockets the calling
    thread opens, the threads it creates (pynetdicom's associations) and the processes it
    spawns (PostgreSQL, Orthanc, testinfra's commands) all live in the namespace; on exit the
    thread is back in the host namespace, so nothing leaks into other tests. A `sleep` holder
    process keeps the namespace alive until ``destroy()``.
    """

    def __init__(self) -> None:
        self._libc = ctypes.CDLL("libc.so.6", use_errno=True)
        self._holder: subprocess.Popen[bytes] | None = None

    @property
    def path(self) -> str:
        assert self._holder is not None, "namespace not created"
        return f"/proc/{self._holder.pid}/ns/net"

    def _setns(self, fd: int) -> None:
        if self._libc.setns(fd, _CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns: {os.strerror(err)}")

    def create(self) -> None:
        # unshare execs sleep in the new namespace; 3600 s bounds it should teardown never run.
        self._holder = subprocess.Popen(["unshare", "--net", "--", "sleep", "3600"])
        deadline = time.monotonic() + 10
        while True:
            try:
                if os.readlink(self.path) != os.readlink("/proc/thread-self/ns/net"):
                    break
            except FileNotFoundError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("the namespace holder did not start")
            time.sleep(0.05)
        run(["nsenter", f"--net={self.path}", "ip", "link", "set", "lo", "up"])

    @contextlib.contextmanager
    def entered(self) -> Iterator[None]:
        host_fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        ns_fd = os.open(self.path, os.O_RDONLY)
        try:
            self._setns(ns_fd)
            try:
                yield
            finally:
                self._setns(host_fd)
        finally:
            os.close(ns_fd)
            os.close(host_fd)

    def destroy(self) -> None:
        if self._holder is not None:
            self._holder.kill()
            self._holder.wait(timeout=10)
            self._holder = None


# ---------------------------------------------------------------------------------------------
# Test PKI (openssl)
# ---------------------------------------------------------------------------------------------


@dataclass
class Pki:
    directory: Path
    ca_cert: Path = field(init=False)

    def __post_init__(self) -> None:
        self.ca_cert = self.directory / "ca.crt"

    def create_ca(self, name: str = "ca", cn: str = "imaging-cloud test CA") -> Path:
        key = self.directory / f"{name}.key"
        crt = self.directory / f"{name}.crt"
        run([
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(crt),
            "-days", "2", "-subj", f"/CN={cn}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        return crt

    def issue(self, name: str, *, ca: str = "ca", san: str = "IP:127.0.0.1,DNS:localhost") -> tuple[Path, Path]:
        """A certificate usable as TLS server and client, signed by the CA named `ca`."""
        key = self.directory / f"{name}.key"
        csr = self.directory / f"{name}.csr"
        crt = self.directory / f"{name}.crt"
        ext = self.directory / f"{name}.ext"
        ext.write_text(
            f"subjectAltName={san}\nextendedKeyUsage=serverAuth,clientAuth\n"
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        )
        run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={name}"])
        run([
            "openssl", "x509", "-req", "-in", str(csr), "-CA", str(self.directory / f"{ca}.crt"),
            "-CAkey", str(self.directory / f"{ca}.key"), "-CAcreateserial", "-out", str(crt), "-days", "2",
            "-extfile", str(ext),
        ])
        return crt, key


# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------


def postgres_bin(tool: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    if not candidates:
        raise FileNotFoundError(f"{tool} not found: run scripts/install-test-deps.sh")
    return candidates[-1]


def kubelet_volume_layout(directory: Path) -> None:
    """Rearrange a folder of files the way the kubelet writes Secret/ConfigMap volumes:
    the files in a hidden timestamped folder, `..data` pointing at it, and each visible name a
    symlink through `..data` (so Orthanc reads its configuration folder as it will in a pod)."""
    files = [p for p in directory.iterdir() if p.is_file() and not p.is_symlink()]
    stamp = directory / "..2026_01_01_00_00_00.000000001"
    stamp.mkdir(mode=0o750)
    st = directory.stat()
    os.chown(stamp, st.st_uid, st.st_gid)
    for f in files:
        f.rename(stamp / f.name)
    (directory / "..data").symlink_to(stamp.name)
    for f in files:
        (directory / f.name).symlink_to(f"..data/{f.name}")


def install_file(src: Path | str | bytes, dst: Path, *, owner: str, group: str, mode: int) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(src, bytes):
        dst.write_bytes(src)
    else:
        shutil.copyfile(src, dst)
    shutil.chown(dst, owner, group)
    os.chmod(dst, mode)


# ---------------------------------------------------------------------------------------------
# DICOM and DICOMweb clients
# ---------------------------------------------------------------------------------------------

CLIENT_TIMEOUT = 10  # seconds, for every network step of every client


def make_test_image(patient_id: str = "VNA-TEST-0001") -> "pydicom.Dataset":
    """A small, synthetic CT image (no real patient data) with fresh UIDs."""
    import numpy as np
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.preamble = b"\x00" * 128  # a complete DICOM file (Part 10) when STOW sends it
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientID = patient_id
    ds.PatientName = "Test^Synthetic"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.StudyDate = "20260101"
    ds.StudyTime = "120000"
    ds.AccessionNumber = "ACC" + patient_id[-4:]
    ds.StudyID = "1"
    ds.Modality = "CT"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.ReferringPhysicianName = ""
    ds.Rows = ds.Columns = 8
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = np.arange(64, dtype=np.uint16).reshape(8, 8).tobytes()
    return ds


def tls_context(ca: Path, cert: Path | None = None, key: Path | None = None) -> "ssl.SSLContext":
    import ssl

    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert is not None:
        ctx.load_cert_chain(str(cert), str(key))
    return ctx


def application_entity(calling_aet: str, *contexts: str) -> "pynetdicom.AE":
    from pynetdicom import AE

    ae = AE(ae_title=calling_aet)
    for context in contexts:
        ae.add_requested_context(context)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = CLIENT_TIMEOUT
    ae.connection_timeout = CLIENT_TIMEOUT
    return ae


class TimeoutSession:
    """A requests.Session whose every call is bounded in time."""

    def __new__(cls, auth: tuple[str, str] | None = None) -> "requests.Session":
        import requests

        class _Session(requests.Session):
            def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
                kwargs.setdefault("timeout", CLIENT_TIMEOUT)
                return super().request(*args, **kwargs)

        session = _Session()
        session.auth = auth
        return session
