"""pytest-testinfra checks of a running archive host.

By default (`local://`) they inspect the archives the fixtures start (conftest.py), from inside
their network namespace. Point them at a deployed pod with

    ARCHIVE_HOST='kubectl://<pod>?namespace=<ns>&container=orthanc' python -m pytest tests/archive/test_archive_host.py

or `--archive-host=...` when pytest is started on tests/archive. The checks only read `/proc`
and `stat` output, which exist in the orthancteam image as on this host.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import testinfra

pytestmark = pytest.mark.orthanc

CONTAINER_ROOT = "/etc/orthanc-archive"


@dataclass
class Target:
    host: testinfra.host.Host
    local: bool
    orthanc_pids: list[str]
    expected_ports: set[int]
    mount_roots: list[str]
    other_pids: dict[str, str] = field(default_factory=dict)  # name -> pid (local PostgreSQL)
    loopback_only_ports: set[int] = field(default_factory=set)


def _spec(config: pytest.Config) -> str:
    return config.getoption("--archive-host", default=None) or os.environ.get("ARCHIVE_HOST") or "local://"


@pytest.fixture(scope="module")
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    spec = _spec(request.config)
    if spec.startswith("local"):
        lab = request.getfixturevalue("lab")
        archives = list(lab.archives.values())
        with lab.ns.entered():  # the namespace's sockets, and commands run from inside it
            yield Target(
                host=testinfra.get_host("local://"),
                local=True,
                orthanc_pids=[str(a.process.pid) for a in archives],
                expected_ports={p for a in archives for p in (a.dicom_port, a.http_port)} | {5432},
                mount_roots=[str(a.root) for a in archives],
                other_pids={"postgres": str(lab.postgres.pid)},
                loopback_only_ports={5432},
            )
    else:
        ports = os.environ.get("ARCHIVE_PORTS", "4242,8042")
        yield Target(
            host=testinfra.get_host(spec),
            local=False,
            orthanc_pids=["1"],
            expected_ports={int(p) for p in ports.split(",")},
            mount_roots=[CONTAINER_ROOT],
        )


def _listening(host) -> set[tuple[str, int]]:
    """(address, port) of every listening TCP socket, read from /proc/net/tcp{,6}."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        result = host.run(f"cat {table}")
        if result.rc != 0:
            continue
        for line in result.stdout.splitlines()[1:]:
            fields = line.split()
            if len(fields) < 4 or fields[3] != "0A":  # 0A = LISTEN
                continue
            address_hex, port_hex = fields[1].split(":")
            raw = bytes.fromhex(address_hex)
            if width == 8:
                address = socket.inet_ntop(socket.AF_INET, raw[::-1])
            else:  # four little-endian 32-bit words
                address = socket.inet_ntop(socket.AF_INET6, b"".join(struct.pack(">I", w) for w in struct.unpack("<4I", raw)))
            found.add((address, int(port_hex, 16)))
    return found


def _status(host, pid: str) -> dict[str, str]:
    text = host.file(f"/proc/{pid}/status").content_string
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def _files(host, root: str) -> list[tuple[int, str, str, str]]:
    """(mode, owner, group, path) of every file under a mount root, symlinks followed; the
    Orthanc storage folder of the local fixtures is skipped (checked separately)."""
    result = host.run(f"find -L {root} -path '*/storage' -prune -o -type f -exec stat -L -c '%a %U %G %n' {{}} +")
    assert result.rc == 0, result.stderr
    out = []
    for line in result.stdout.splitlines():
        mode, owner, group, path = line.split(" ", 3)
        out.append((int(mode, 8), owner, group, path))
    return out


def test_it_should_listen_only_on_the_archive_ports(target):
    ports = {port for _, port in _listening(target.host)}
    assert ports == target.expected_ports


def test_it_should_listen_for_postgresql_on_loopback_only(target):
    if not target.loopback_only_ports:
        pytest.skip("no loopback-only service on this target")
    for address, port in _listening(target.host):
        if port in target.loopback_only_ports:
            assert ipaddress.ip_address(address).is_loopback, (address, port)


def test_it_should_run_orthanc_as_a_non_root_user_without_capabilities(target):
    for pid in target.orthanc_pids:
        status = _status(target.host, pid)
        assert status["Name"].strip() == "Orthanc"
        assert all(uid != "0" for uid in status["Uid"].split()), status["Uid"]
        assert all(gid != "0" for gid in status["Gid"].split()), status["Gid"]
        assert int(status["CapEff"], 16) == 0 and int(status["CapPrm"], 16) == 0
        assert status["NoNewPrivs"].strip() == "1"


def test_it_should_run_the_local_database_as_a_non_root_user(target):
    if not target.other_pids:
        pytest.skip("the database is not on this target")
    for name, pid in target.other_pids.items():
        status = _status(target.host, pid)
        assert all(uid != "0" for uid in status["Uid"].split()), name
        assert target.host.run(f"stat -c %U /proc/{pid}").stdout.strip() == name


def test_it_should_keep_configuration_and_keys_unreadable_by_other_users(target):
    for root in target.mount_roots:
        files = _files(target.host, root)
        names = {os.path.basename(path) for *_, path in files}
        assert {"orthanc.json", "users.json", "tls.key"} <= names, names
        for mode, _, _, path in files:
            assert mode & 0o007 == 0, f"{path} is accessible to other users ({oct(mode)})"
            assert mode & 0o022 == 0, f"{path} is writable by its group or others ({oct(mode)})"


def test_it_should_not_let_orthanc_rewrite_its_own_configuration_or_keys(target):
    orthanc_uid = _status(target.host, target.orthanc_pids[0])["Uid"].split()[0]
    orthanc_user = target.host.run(f"stat -c %U /proc/{target.orthanc_pids[0]}").stdout.strip()
    for root in target.mount_roots:
        for mode, owner, _, path in _files(target.host, root):
            assert owner not in (orthanc_user, orthanc_uid) or mode & 0o200 == 0, path


def test_it_should_keep_the_local_image_store_private_to_orthanc(target):
    if not target.local:
        pytest.skip("the pod stores images in object storage, not on a filesystem")
    for root in target.mount_roots:
        directory = target.host.file(f"{root}/storage")
        assert directory.is_directory and directory.user == "orthanc" and directory.mode == 0o700
