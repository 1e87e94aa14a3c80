#!/usr/bin/env bash
# Installs what Cumulus builds and tests need on a fresh Debian 12 machine, when missing:
# PostgreSQL 15 and barman-cli-cloud 3.4 (Debian packages; barman is the interoperability peer) with
# the Azure SDK its Azure provider imports,
# and the zstd and lz4 command-line tools the compression interoperability tests read and write with.
# Java 17 and Maven are expected on the machine. Idempotent and non-interactive.
set -euo pipefail

need_apt=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || need_apt+=(postgresql-15 postgresql-contrib)
command -v barman-cloud-wal-archive >/dev/null || need_apt+=(barman-cli-cloud)
# barman-cloud's Azure provider (the Azurite interoperability tests) needs the Azure SDK, which Debian
# ships as python3-azure-storage (azure-storage-blob 12.15 within the large python3-azure bundle)
/usr/bin/python3 -c 'import azure.storage.blob' 2>/dev/null || need_apt+=(python3-azure-storage)
command -v zstd >/dev/null || need_apt+=(zstd)
command -v lz4 >/dev/null || need_apt+=(lz4)
command -v python3 >/dev/null || need_apt+=(python3)
command -v runuser >/dev/null || need_apt+=(util-linux)
command -v java >/dev/null || need_apt+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || need_apt+=(maven)

if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup: installing ${need_apt[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: run as root (or install ${need_apt[*]} yourself)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need_apt[@]}" >/dev/null
    # Debian's postgresql package creates and starts a default cluster; the tests use their own.
    if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q '^15 main .* online'; then
        pg_ctlcluster 15 main stop || true
    fi
fi
id postgres >/dev/null 2>&1 || { echo "setup: the postgres OS user is missing (install postgresql-15)" >&2; exit 1; }
