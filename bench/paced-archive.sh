#!/usr/bin/env bash
# Calls `cumulus-wal-archive --async` the way PostgreSQL's archiver does: a segment becomes .ready and
# the call follows at once, one segment every BENCH_INTERVAL seconds. Reports how many JVMs the calls
# started (a call the launcher answers from the spool starts none) and how long the calls took.
# bench/run.sh cannot show this: its loop calls for segments that were all .ready before the uploader
# started (docs/benchmarks.md, finding 12).
#
#   bench/paced-archive.sh                          # 40 segments, one every 0.1 s
#   BENCH_SEGMENTS=60 BENCH_INTERVAL=0.05 bench/paced-archive.sh
#
# Needs dist/ and the bench jar (bench/run.sh builds it). Network: 127.0.0.1 only.
set -uo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
SEGMENTS=${BENCH_SEGMENTS:-40}
INTERVAL=${BENCH_INTERVAL:-0.1}
TOOL=$ROOT/dist/cli-wal-archive/bin/cumulus-wal-archive
die() { echo "paced-archive: $*" >&2; exit 1; }
say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
[ -x "$TOOL" ] || die "dist/ is missing cumulus-wal-archive: mvn -B -q -pl dist-assembly -am package -DskipTests"

WORK=$(mktemp -d /tmp/cumulus-paced.XXXXXX)
cleanup() {
    stop_s3proxy
    # the uploader exits by itself after --async-idle-timeout; stop it now
    stop_helpers "$WORK/spool"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_s3proxy bench
ENDPOINT=$(endpoint http)
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
AWS_ACCESS_KEY_ID=$(endpoint access)
AWS_SECRET_ACCESS_KEY=$(endpoint secret)

# Every JVM the calls start (the uploader inherits the variable) opens its own log file, named by its pid:
# the tools run on the runtime, and with the archive or cache, that their launcher picks.
export CUMULUS_JAVA_OPTS="-Xlog:gc:file=$WORK/jvm-%p.log"

PG_WAL=$WORK/pg_wal
mkdir -p "$PG_WAL/archive_status"
head -c 16777216 /dev/urandom >"$WORK/segment"
start=$EPOCHREALTIME
for i in $(seq 1 "$SEGMENTS"); do
    wal=$(printf '0000000100000000%08X' "$i")
    ln "$WORK/segment" "$PG_WAL/$wal"
    : >"$PG_WAL/archive_status/$wal.ready"
    before=$EPOCHREALTIME
    "$TOOL" --async --spool-dir "$WORK/spool" --endpoint-url "$ENDPOINT" \
        s3://bench/paced srv "$PG_WAL/$wal" >>"$WORK/calls.log" 2>&1 || die "call for $wal failed: $(tail -3 "$WORK/calls.log")"
    after=$EPOCHREALTIME
    mv "$PG_WAL/archive_status/$wal.ready" "$PG_WAL/archive_status/$wal.done"
    echo "$before $after" | awk '{printf "%.3f\n", $2 - $1}' >>"$WORK/durations"
    sleep "$INTERVAL"
done
end=$EPOCHREALTIME
sort -n "$WORK/durations" | awk -v n="$SEGMENTS" -v jvms="$(ls "$WORK" | grep -c '^jvm-.*\.log$')" -v s="$start" -v e="$end" -v iv="$INTERVAL" '
    { d[NR] = $1; if ($1 > 0.2) slow++ }
    END {
        printf "%d segments, one every %s s, in %.1f s; JVMs started: %d (the uploader is one); calls over 0.2 s: %d;\n", n, iv, e - s, jvms, slow
        printf "call duration median %.3f s, p90 %.3f s, max %.3f s\n", d[int((NR + 1) / 2)], d[int(NR * 0.9 + 0.5)], d[NR]
    }'
