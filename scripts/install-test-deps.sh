#!/usr/bin/env bash
# Install the Debian packages the archive tests need (tests/archive, marker `orthanc`):
#   orthanc            - the DICOM archive server (Debian bookworm ships 1.10.1)
#   orthanc-postgresql - the PostgreSQL index plugin the chart enables
#   orthanc-dicomweb   - the DICOMweb plugin (STOW/QIDO/WADO)
#   postgresql         - a throwaway PostgreSQL server the fixtures start with initdb
#   openssl            - makes the test CA and the TLS certificates
#   lua5.4             - runs the Fluent Bit enrichment filter in tests/monitoring
#   iproute2, util-linux - `ip` and `unshare`/`nsenter` for the private network namespace
#                        the archives run in (only a loopback interface exists there)
#
# Idempotent: packages already installed are not touched, and `apt-get update` runs at most
# once per invocation (and only when something is missing).  Needs root (CI runs as root).
set -euo pipefail

packages=(orthanc orthanc-postgresql orthanc-dicomweb postgresql openssl iproute2 util-linux lua5.4)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-test-deps: all present (${packages[*]})"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: need root to install: ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-test-deps: installing ${missing[*]}"
apt-get update -qq
# --no-install-recommends keeps the footprint small; policy-rc.d stops Debian's maintainer
# scripts from starting the packaged orthanc/postgresql services (the tests start their own
# processes on loopback ports, as non-root users, and stop them afterwards).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  created_policy=1
fi
cleanup() { if [ "$created_policy" -eq 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-test-deps: done"
