#!/usr/bin/env bash
# One-shot WAL calls on Azure: Cumulus against barman-cloud 3.4, and optionally against another Cumulus build,
# on one Azurite on loopback, the tools taking turns (round-robin) so that other load falls on all alike.
#
#   bench/azure-calls.sh [ROUNDS] [OTHER_DIST]    # ROUNDS: 6; OTHER_DIST: e.g. a dist/ built from an older commit
#
# Per round and tool: cumulus-wal-archive (barman-cloud-wal-archive) of a new 16 MiB segment, the restore of
# that segment, and the restore of a segment that was never archived (what a standby asks every 5 s). Prints
# one line per round and tool (wall s, CPU s, exit code of each call), then the medians. Needs Azurite as the
# end-to-end tests install it (~/.cache/cumulus/azurite-*, or AZURITE=path/to/azurite-blob) and
# barman-cli-cloud with python3-azure-storage (scripts/setup.sh). Runs on 127.0.0.1 only; removes what it made.
set -uo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
ROUNDS=${1:-6}
OTHER=${2:-}
AZURITE=${AZURITE:-$(ls -d "$HOME"/.cache/cumulus/azurite-*/node_modules/.bin/azurite-blob 2>/dev/null | tail -1)}
[ -x "$AZURITE" ] || { echo "azure-calls: no Azurite: run the e2e tests once (they install it) or set AZURITE" >&2; exit 1; }
command -v barman-cloud-wal-archive >/dev/null || { echo "azure-calls: barman-cloud not installed: scripts/setup.sh" >&2; exit 1; }
[ -x "$ROOT/dist/bin/cumulus-wal-archive" ] || { echo "azure-calls: no dist/: mvn -pl dist-assembly -am package" >&2; exit 1; }
WORK=$(mktemp -d /tmp/cumulus-azure-calls.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$AZURITE" --blobHost 127.0.0.1 --blobPort "$PORT" --location "$WORK/azurite" --skipApiVersionCheck --silent \
    --disableTelemetry >"$WORK/azurite.log" 2>&1 &
AZURITE_PID=$!
trap 'kill $AZURITE_PID 2>/dev/null; wait $AZURITE_PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.2; done
export AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$PORT/devstoreaccount1;"
URL=http://127.0.0.1:$PORT/devstoreaccount1/bench
/usr/bin/python3 - <<PY || { echo "azure-calls: cannot create the container" >&2; exit 1; }
from azure.storage.blob import BlobServiceClient
BlobServiceClient.from_connection_string("$AZURE_STORAGE_CONNECTION_STRING").create_container("bench")
PY
mkdir -p "$WORK/pg_wal"
head -c 16777216 /dev/urandom >"$WORK/segment"
tools="cumulus barman"
[ -n "$OTHER" ] && tools="other $tools"
# call NAME COMMAND...: prints "wall cpu exit" of one call
call() {
    /usr/bin/time -f "%e %U %S" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/stderr"
    rc=$?
    # (time's file starts with "Command exited with non-zero status N" after a failure)
    read -r wall user system < <(tail -n 1 "$WORK/time")
    echo "$wall $(echo "$user + $system" | bc) $rc"
}
n=0
for round in $(seq "$ROUNDS"); do
    for tool in $tools; do
        n=$((n + 1))
        segment=$(printf '00000001000000000000%04X' "$n")
        cp "$WORK/segment" "$WORK/pg_wal/$segment"
        rm -f "$WORK/restored"
        case $tool in
        barman) archive=barman-cloud-wal-archive restore=barman-cloud-wal-restore ;;
        cumulus) archive=$ROOT/dist/bin/cumulus-wal-archive restore=$ROOT/dist/bin/cumulus-wal-restore ;;
        other) archive=$OTHER/bin/cumulus-wal-archive restore=$OTHER/bin/cumulus-wal-restore ;;
        esac
        a=$(call "$archive" --cloud-provider azure-blob-storage "$URL" srv "$WORK/pg_wal/$segment")
        r=$(call "$restore" --cloud-provider azure-blob-storage "$URL" srv "$segment" "$WORK/restored")
        m=$(call "$restore" --cloud-provider azure-blob-storage "$URL" srv 00000001000000FF000000FF "$WORK/missing")
        echo "$round $tool archive $a restore $r miss $m" | tee -a "$WORK/lines"
    done
done
echo "medians (wall s / CPU s): archive, restore, miss"
for tool in $tools; do
    printf '%-8s' "$tool"
    for field in 4 8 12; do
        wall=$(awk -v t="$tool" -v f="$field" '$2 == t { print $f }' "$WORK/lines" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
        cpu=$(awk -v t="$tool" -v f="$((field + 1))" '$2 == t { print $f }' "$WORK/lines" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
        printf '  %s / %s' "$wall" "$cpu"
    done
    echo
done
