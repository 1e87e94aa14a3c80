#!/usr/bin/env bash
# The whole test suite, from a clean checkout: installs what the tests need, then builds, packages the
# tools into dist/ and runs every test (unit, storage contract against file://, S3Proxy, Azurite and
# LocalStorageHelper, and the end-to-end tests driving a real PostgreSQL 15 and barman-cloud).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec mvn -B -ntp verify "$@"
