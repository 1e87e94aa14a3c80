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
BENCH_JAR=$ROOT/bench/target/cumulus-bench-0.1.0-SNAPSHOT.jar
TOOL=$ROOT/dist/cli-wal-archive/bin/cumulus-wal-archive
die() { echo "paced-archive: $*" >&2; exit 1; }
[ -x "$TOOL" ] || die "dist/ is missing cumulus-wal-archive: mvn -B -o -q -pl dist-assembly -am package -DskipTests"
[ -f "$BENCH_JAR" ] || die "no bench jar: run bench/run.sh once, or: mvn -B -o -q -f bench/pom.xml package"

WORK=$(mktemp -d /tmp/cumulus-paced.XXXXXX)
S3PROXY_PID=
cleanup() {
    [ -n "$S3PROXY_PID" ] && kill "$S3PROXY_PID" 2>/dev/null
    # the uploader exits by itself after --async-idle-timeout; stop it now, by the work directory in its command line
    for file in $(grep -lsF -- "$WORK/spool" /proc/[0-9]*/cmdline); do
        pid=${file#/proc/}
        kill "${pid%/cmdline}" 2>/dev/null
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

java -cp "$BENCH_JAR" io.cumulus.bench.S3ProxyMain "$WORK/endpoints" bench >"$WORK/s3proxy.log" 2>&1 &
S3PROXY_PID=$!
for _ in $(seq 300); do [ -f "$WORK/endpoints" ] && break; sleep 0.1; done
[ -f "$WORK/endpoints" ] || die "S3Proxy did not start: $(cat "$WORK/s3proxy.log")"
ENDPOINT=$(sed -n 's/^http=//p' "$WORK/endpoints")
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
AWS_ACCESS_KEY_ID=$(sed -n 's/^access=//p' "$WORK/endpoints")
AWS_SECRET_ACCESS_KEY=$(sed -n 's/^secret=//p' "$WORK/endpoints")

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
