#!/usr/bin/env bash
# WAL throughput benchmark: Cumulus vs barman-cloud 3.4 vs pgBackRest, side by side on one S3Proxy,
# with the same WAL segments, on this machine. See bench/README.md; results go to bench/results/.
#
#   bench/run.sh                       # everything, 6-12 minutes on 2 cores
#   BENCH_SEGMENTS=64 bench/run.sh     # more segments per archive/restore run
#
# Knobs (environment): BENCH_SEGMENTS (40), BENCH_LATENCY_CALLS (10), BENCH_PREFETCH (8),
# BENCH_PARALLEL ("4 8": --max-parallel of async Cumulus and process-max of async pgBackRest),
# BENCH_PGBACKREST (1; 0 skips pgBackRest), BENCH_KEEP (0; 1 keeps the work directory),
# BENCH_OUT (bench/results), BENCH_REBUILD (0; 1 rebuilds the bench jar).
#
# Runs as root (PostgreSQL runs as postgres). On a fresh machine it first installs what is missing
# (scripts/setup.sh: PostgreSQL 15, barman-cli-cloud; Debian's pgbackrest) and builds dist/ (again if the
# sources are newer than it) and the bench jar with Maven. Network: 127.0.0.1 only, apt and Maven Central
# for that set-up.
set -uo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
SEGMENTS=${BENCH_SEGMENTS:-40}
LAT_CALLS=${BENCH_LATENCY_CALLS:-10}
PREFETCH=${BENCH_PREFETCH:-8}
PARALLEL=${BENCH_PARALLEL:-4 8}
WITH_PGBR=${BENCH_PGBACKREST:-1}
OUT=${BENCH_OUT:-$ROOT/bench/results}
PG_BIN=${BENCH_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_SCALE=${BENCH_PG_SCALE:-20}
BUCKET=bench
SERVER=bench-srv

die() { echo "bench: $*" >&2; exit 1; }
say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

# --- the machine: packages, dist/, the bench jar (S3Proxy host) --------------------------------------
prepare_machine
for tool in barman-cloud-wal-archive barman-cloud-wal-restore keytool java; do
    command -v "$tool" >/dev/null || die "$tool not found"
done
[ -x "$PG_BIN/initdb" ] || die "no PostgreSQL at $PG_BIN"

WORK=$(mktemp -d /tmp/cumulus-bench.XXXXXX)
chmod 755 "$WORK"
CG=
PG_DATA=$WORK/pg/data
PG_RUNNING=0

cleanup() {
    set +e
    [ "$PG_RUNNING" = 1 ] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1
    stop_s3proxy
    [ -n "$WORK" ] && stop_helpers "$WORK" 10
    if [ -n "$CG" ]; then
        echo $$ >/sys/fs/cgroup/cpuacct/cgroup.procs 2>/dev/null
        rmdir "$CG" 2>/dev/null || say "could not remove cgroup $CG"
    fi
    if [ "${BENCH_KEEP:-0}" = 1 ]; then
        say "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the tools under test: a private copy of dist/ (lib.sh) ---------------------------------------
TOOLS=$WORK/tools
private_tools "$TOOLS" cli-wal-archive cli-restore
if [ -f "$TOOLS/cli-wal-archive/lib/aot.java" ]; then
    CDS_NOTE="runtime $(cat "$TOOLS/cli-wal-archive/lib/aot.java") with its AOT cache $(CUMULUS_JAVA_OPTS=-Xlog:aot=info \
        "$TOOLS/cli-wal-archive/bin/cumulus-wal-archive" --help 2>&1 | grep -q 'Mapped static  *region' && echo used || echo NOT used) by the copy"
elif [ -f "$TOOLS/cli-wal-archive/lib/cds.jsa" ]; then
    CDS_NOTE="CDS archive $(CUMULUS_JAVA_OPTS=-Xlog:cds=info "$TOOLS/cli-wal-archive/bin/cumulus-wal-archive" --help 2>&1 \
        | grep -q 'Mapped dynamic region' && echo used || echo NOT used) by the copy"
else
    CDS_NOTE="no CDS archive in dist"
fi
# Which build is measured: the checkout's commit (the working tree may differ) and when dist/ was made.
CUMULUS_BUILD="commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), dist/ built $(date -u -r "$TOOLS/cli-wal-archive/cli-wal-archive.jar" '+%Y-%m-%d %H:%M UTC'), jars sha256 $(cat "$TOOLS"/cli-*/cli-*.jar "$TOOLS"/cli-*/lib/*-SNAPSHOT.jar | sha256sum | cut -c1-12)"
CUMULUS_ARCHIVE=$TOOLS/cli-wal-archive/bin/cumulus-wal-archive
CUMULUS_RESTORE=$TOOLS/cli-restore/bin/cumulus-wal-restore

# --- S3Proxy: HTTP for Cumulus and barman-cloud, HTTPS (same buckets) for pgBackRest --------------
keytool -genkeypair -alias s3proxy -keyalg RSA -keysize 2048 -validity 7 -dname CN=127.0.0.1 \
    -ext SAN=ip:127.0.0.1 -keystore "$WORK/s3proxy.jks" -storepass benchpass -keypass benchpass >/dev/null 2>&1 \
    || die "keytool failed"
keytool -exportcert -rfc -alias s3proxy -keystore "$WORK/s3proxy.jks" -storepass benchpass >"$WORK/s3proxy.pem" 2>/dev/null \
    || die "keytool -exportcert failed"
start_s3proxy "$BUCKET" "$WORK/s3proxy.jks" benchpass
HTTP_URL=$(endpoint http)
HTTPS_URL=$(endpoint https)
S3_BASEDIR=$(endpoint basedir)/$BUCKET
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
AWS_ACCESS_KEY_ID=$(endpoint access)
AWS_SECRET_ACCESS_KEY=$(endpoint secret)
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
printf '[default]\ns3 =\n    addressing_style = path\n' >"$WORK/aws-config"
: >"$WORK/aws-credentials"
export AWS_CONFIG_FILE=$WORK/aws-config AWS_SHARED_CREDENTIALS_FILE=$WORK/aws-credentials
say "S3Proxy at $HTTP_URL and $HTTPS_URL (pid $S3PROXY_PID)"

# CPU time per page the first time a process touches it (256 MiB of fresh anonymous memory): what
# every page a tool or S3Proxy takes from the kernel costs on this machine. Under nested virtualisation
# this is several microseconds, and it moves with the host's state (docs/benchmarks.md, finding 27).
# Probed here, minutes before the rows: the pages the probe frees would otherwise be the first ones
# S3Proxy writes objects into, cheaper than the rest (finding 27).
fault_cost() {
    python3 -c '
import mmap, resource
def used():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_minflt
size = 256 << 20
m = mmap.mmap(-1, size)
t0, f0 = used()
for i in range(0, size, 4096):
    m[i] = 1
t1, f1 = used()
print("%.1f" % ((t1 - t0) * 1e6 / max(1, f1 - f0)))'
}
FAULT0=$(fault_cost)

# --- real WAL: a throwaway PostgreSQL 15 cluster under pgbench -------------------------------------
# The segments are real (pgBackRest checks their headers against the stanza's system id), a mix of
# pgbench -i (very compressible) and TPC-B with frequent checkpoints (full-page images).
WALSRC=$WORK/walsrc
mkdir -p "$WORK/pg" "$WALSRC/tmp"
chown -R postgres: "$WORK/pg" "$WALSRC"
runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust --data-checksums >"$WORK/pg/initdb.log" 2>&1 \
    || die "initdb failed: $WORK/pg/initdb.log"
cat >>"$PG_DATA/postgresql.conf" <<EOF
port = 55439
listen_addresses = ''
unix_socket_directories = '$WORK/pg'
archive_mode = on
archive_command = 'cp %p $WALSRC/tmp/%f && mv $WALSRC/tmp/%f $WALSRC/%f'
max_wal_size = 4GB
shared_buffers = 128MB
EOF
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$WORK/pg/server.log" -w start >/dev/null || die "PostgreSQL did not start"
PG_RUNNING=1
pg() { runuser -u postgres -- "$@" -h "$WORK/pg" -p 55439 -U postgres; }
say "generating $SEGMENTS WAL segments with pgbench"
pg "$PG_BIN/pgbench" -i -q -s "$PG_SCALE" postgres >"$WORK/pg/pgbench.log" 2>&1 || die "pgbench -i failed"
count_wal() { ls "$WALSRC" | grep -cE '^[0-9A-F]{24}$'; }
deadline=$((SECONDS + 300))
while [ "$(count_wal)" -lt "$SEGMENTS" ]; do
    [ $SECONDS -lt $deadline ] || die "PostgreSQL archived only $(count_wal) segments in 5 minutes"
    pg "$PG_BIN/pgbench" -c 4 -j 2 -T 3 postgres >>"$WORK/pg/pgbench.log" 2>&1
    pg "$PG_BIN/psql" -qAtc CHECKPOINT postgres >/dev/null
done
mapfile -t SEGS < <(ls "$WALSRC" | grep -E '^[0-9A-F]{24}$' | sort | head -n "$SEGMENTS")
# Latency calls use the last segments of the set (TPC-B WAL, the realistic kind), in fresh prefixes.
mapfile -t LAT_SEGS < <(printf '%s\n' "${SEGS[@]}" | tail -n "$LAT_CALLS")
GZ_BYTES=$(for s in "${LAT_SEGS[@]}"; do gzip -6 -c "$WALSRC/$s" | wc -c; done | awk '{t+=$1} END {printf "%.1f", t/NR/1048576}')
GZ_ALL=$(for s in "${SEGS[@]}"; do gzip -1 -c "$WALSRC/$s" | wc -c; done | awk '{t+=$1} END {printf "%.1f", t/NR/1048576}')

# --- pgBackRest: one stanza per repository path, created while the cluster runs --------------------
pgbr_conf() { # name repo-path compress async process-max spool pg1-path
    local port=${HTTPS_URL##*:}
    mkdir -p "$WORK/pgbr/$1/log" "$WORK/pgbr/$1/lock" "$6"
    cat >"$WORK/pgbr/$1.conf" <<EOF
[global]
repo1-type=s3
repo1-s3-endpoint=127.0.0.1
repo1-storage-port=$port
repo1-s3-bucket=$BUCKET
repo1-s3-region=us-east-1
repo1-s3-key=$AWS_ACCESS_KEY_ID
repo1-s3-key-secret=$AWS_SECRET_ACCESS_KEY
repo1-s3-uri-style=path
repo1-storage-verify-tls=n
repo1-path=$2
compress-type=$3
archive-async=$4
process-max=$5
spool-path=$6
log-level-console=warn
log-level-stderr=off
log-level-file=off
log-path=$WORK/pgbr/$1/log
lock-path=$WORK/pgbr/$1/lock

[bench]
pg1-path=$7
pg1-port=55439
pg1-socket-path=$WORK/pg
pg1-user=postgres
EOF
    echo "$WORK/pgbr/$1.conf"
}
PGBR_NOTE=
if [ "$WITH_PGBR" = 1 ]; then
    PGBR_VERSION=$(pgbackrest version)
    for repo in pgbr-sync lat-pgbackrest-plain lat-pgbackrest-gzip $(for p in $PARALLEL; do echo "pgbr-async$p"; done); do
        pgbr_conf "$repo" "/$repo" none n 1 "$WORK/pgbr/$repo/spool" "$PG_DATA" >/dev/null
        if ! pgbackrest --config="$WORK/pgbr/$repo.conf" --stanza=bench stanza-create >"$WORK/pgbr/$repo.stanza.log" 2>&1; then
            PGBR_NOTE="stanza-create failed: $(tail -1 "$WORK/pgbr/$repo.stanza.log")"
            say "pgBackRest: $PGBR_NOTE; skipping it"
            WITH_PGBR=0
            break
        fi
    done
fi
# The cluster is not needed any more. Every run gets a fake data directory: pg_wal with the
# segments (hard links) and archive_status, and a copy of global/pg_control, which is all pgBackRest
# reads (its async mode wants pg_wal inside pg1-path).
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
PG_RUNNING=0
fake_pgdata() { # DIR: makes DIR/pgdata with global/pg_control and an empty pg_wal/archive_status
    mkdir -p "$1/pgdata/global" "$1/pgdata/pg_wal/archive_status"
    cp "$PG_DATA/global/pg_control" "$1/pgdata/global/"
}
if [ "$WITH_PGBR" = 1 ]; then
    pgbr_conf pgbr-sync /pgbr-sync none n 1 "$WORK/arch-pgbr-sync/spool" "$WORK/arch-pgbr-sync/pgdata" >/dev/null
    for p in $PARALLEL; do
        pgbr_conf "pgbr-async$p" "/pgbr-async$p" none y "$p" "$WORK/arch-pgbr-async$p/spool" "$WORK/arch-pgbr-async$p/pgdata" >/dev/null
    done
    pgbr_conf lat-pgbackrest-plain /lat-pgbackrest-plain none n 1 "$WORK/lat/spool-none" "$WORK/lat/pgdata" >/dev/null
    pgbr_conf lat-pgbackrest-gzip /lat-pgbackrest-gzip gz n 1 "$WORK/lat/spool-gz" "$WORK/lat/pgdata" >/dev/null
    pgbr_conf get-sync /pgbr-sync none n 1 "$WORK/rest-pgbr-get/spool" "$WORK/rest-pgbr-get/pgdata" >/dev/null
    for p in $PARALLEL; do
        pgbr_conf "get-async$p" /pgbr-sync none y "$p" "$WORK/rest-pgbr-get-async$p/spool" "$WORK/rest-pgbr-get-async$p/pgdata" >/dev/null
    done
fi

# --- measurement helpers ---------------------------------------------------------------------------
# CPU used by the tools: from here on this script, and so every tool process and every helper they
# detach (which leave the process tree but not the cgroup), runs in a cpuacct cgroup of its own; S3Proxy
# stays outside. Without cgroup v1 cpuacct the column stays empty.
CG=
if [ -d /sys/fs/cgroup/cpuacct ] && mkdir "/sys/fs/cgroup/cpuacct/cumulus-bench-$$" 2>/dev/null; then
    CG=/sys/fs/cgroup/cpuacct/cumulus-bench-$$
    echo $$ >"$CG/cgroup.procs" 2>/dev/null || { rmdir "$CG"; CG=; }
fi
tools_cpu() { if [ -n "$CG" ]; then awk '{printf "%.2f", $1 / 1e9}' "$CG/cpuacct.usage"; else echo 0; fi; }
mkdir -p "$OUT"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RAW=$OUT/raw-$STAMP.tsv
printf 'kind\tlabel\ttool\tfiles\tseconds\trate_per_s\tmedian_ms\tfailures\tloadavg_before\tloadavg_after\tclient_cpu_ms\ts3proxy_cpu_s\ttools_cpu_s\ts3proxy_sys_s\n' >"$RAW"
loadavg() { cut -d' ' -f1 /proc/loadavg; }
CLK_TCK=$(getconf CLK_TCK)
# CPU time the hypervisor gave to others while this VM's vCPUs wanted it (/proc/stat "steal"), in seconds:
# a busy host slows every tool of a run, and shows here rather than in the load average
steal_seconds() { awk -v hz="$CLK_TCK" '$1 == "cpu" {printf "%.1f", $9 / hz; exit}' /proc/stat; }
STEAL0=$(steal_seconds)
RUN_T0=$EPOCHREALTIME
# S3Proxy's CPU time so far, all and kernel ("%.2f %.2f"): the kernel's share is its sockets and its
# writes into the page cache, which cost more on some virtual machines than on others (fault_cost)
s3proxy_cpu() { awk -v hz="$CLK_TCK" '{printf "%.2f %.2f", ($14 + $15) / hz, $15 / hz}' "/proc/$S3PROXY_PID/stat"; }
# cpu_columns S3PROXY0 S3PROXY1 TOOLS0 TOOLS1: the raw table's CPU columns of a row, spent between two
# readings of s3proxy_cpu and tools_cpu: s3proxy_cpu_s, tools_cpu_s, s3proxy_sys_s (tab-separated)
cpu_columns() {
    awk -v a="$1" -v b="$2" -v t0="$3" -v t1="$4" \
        'BEGIN {split(a, x, " "); split(b, y, " "); printf "%.1f\t%.1f\t%.1f", y[1] - x[1], t1 - t0, y[2] - x[2]}'
}
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b - a}'; }
stored_count() { find "$S3_BASEDIR/$1" -type f 2>/dev/null | grep -cE '/[0-9A-F]{24}[^/]*$'; }

# archive_one KIND LABEL DIR WAL_PATH [EXTRA...]: one archive_command call of tool KIND
archive_one() {
    local kind=$1 label=$2 dir=$3 wal=$4
    shift 4
    case $kind in
        cumulus) "$CUMULUS_ARCHIVE" "$@" --endpoint-url "$HTTP_URL" "s3://$BUCKET/$label" "$SERVER" "$wal" ;;
        cumulus-https) AWS_CA_BUNDLE=$WORK/s3proxy.pem "$CUMULUS_ARCHIVE" "$@" --endpoint-url "$HTTPS_URL" "s3://$BUCKET/$label" "$SERVER" "$wal" ;;
        cumulus-async) "$CUMULUS_ARCHIVE" --async --spool-dir "$dir/spool" "$@" --endpoint-url "$HTTP_URL" \
            "s3://$BUCKET/$label" "$SERVER" "$wal" ;;
        barman) barman-cloud-wal-archive "$@" --endpoint-url "$HTTP_URL" "s3://$BUCKET/$label" "$SERVER" "$wal" ;;
        barman-https) AWS_CA_BUNDLE=$WORK/s3proxy.pem barman-cloud-wal-archive "$@" --endpoint-url "$HTTPS_URL" \
            "s3://$BUCKET/$label" "$SERVER" "$wal" ;;
        pgbackrest) pgbackrest --config="$WORK/pgbr/$label.conf" --stanza=bench archive-push "$wal" ;;
    esac
}

# archive_run LABEL TOOL KIND [EXTRA...]: PostgreSQL's archiver over a fake pg_wal of all segments,
# every one marked .ready; one call per segment, in order, .ready renamed to .done after exit 0, a
# failed call retried after 1 s (as the archiver does). The clock stops when the last call returns.
archive_run() {
    local label=$1 tool=$2 kind=$3
    shift 3
    local dir=$WORK/arch-$label s t0 t1 fails=0 tries la0 cpu0 cpu1 tcpu0 tcpu1
    local wal=$dir/pgdata/pg_wal
    fake_pgdata "$dir"
    for s in "${SEGS[@]}"; do
        ln "$WALSRC/$s" "$wal/$s"
        : >"$wal/archive_status/$s.ready"
    done
    say "archive: $label"
    la0=$(loadavg)
    cpu0=$(s3proxy_cpu)
    tcpu0=$(tools_cpu)
    t0=$EPOCHREALTIME
    for s in "${SEGS[@]}"; do
        tries=0
        until archive_one "$kind" "$label" "$dir" "$wal/$s" "$@" >>"$dir/tool.log" 2>&1; do
            fails=$((fails + 1)); tries=$((tries + 1))
            [ $tries -ge 3 ] && { say "  $s failed 3 times, see $dir/tool.log"; break; }
            sleep 1
        done
        [ $tries -lt 3 ] && mv "$wal/archive_status/$s.ready" "$wal/archive_status/$s.done"
    done
    t1=$EPOCHREALTIME
    stop_helpers "$dir" 60
    cpu1=$(s3proxy_cpu)
    tcpu1=$(tools_cpu)
    local secs rate stored
    secs=$(elapsed "$t0" "$t1")
    rate=$(awk -v n="${#SEGS[@]}" -v s="$secs" 'BEGIN {printf "%.3f", n / s}')
    stored=$(stored_count "$label")
    [ "$stored" = "${#SEGS[@]}" ] || { say "  only $stored of ${#SEGS[@]} segments stored"; fails=$((fails + 1000)); }
    printf 'archive\t%s\t%s\t%s\t%s\t%s\t\t%s\t%s\t%s\t\t%s\n' "$label" "$tool" "${#SEGS[@]}" "$secs" "$rate" "$fails" "$la0" "$(loadavg)" \
        "$(cpu_columns "$cpu0" "$cpu1" "$tcpu0" "$tcpu1")" >>"$RAW"
    say "  ${#SEGS[@]} segments in $secs s: $rate segments/s (failures $fails)"
}

# restore_one KIND SOURCE DIR WAL DEST [EXTRA...]: one restore_command call
restore_one() {
    local kind=$1 source=$2 dir=$3 wal=$4 dest=$5
    shift 5
    case $kind in
        cumulus) "$CUMULUS_RESTORE" "$@" --endpoint-url "$HTTP_URL" "s3://$BUCKET/$source" "$SERVER" "$wal" "$dest" ;;
        cumulus-prefetch) "$CUMULUS_RESTORE" --prefetch "$PREFETCH" --spool-dir "$dir/spool" "$@" \
            --endpoint-url "$HTTP_URL" "s3://$BUCKET/$source" "$SERVER" "$wal" "$dest" ;;
        barman) barman-cloud-wal-restore "$@" --endpoint-url "$HTTP_URL" "s3://$BUCKET/$source" "$SERVER" "$wal" "$dest" ;;
        pgbackrest) pgbackrest --config="$WORK/pgbr/$1.conf" --stanza=bench archive-get "$wal" "$dest" ;;
    esac
}

# restore_run LABEL TOOL KIND SOURCE [EXTRA...]: the startup process of archive recovery: one call
# per segment, in order, into pg_wal/RECOVERYXLOG, which is then renamed (as recovery does). The
# restored files are compared with the originals after the clock stops.
restore_run() {
    local label=$1 tool=$2 kind=$3 source=$4
    shift 4
    local dir=$WORK/rest-$label s t0 t1 fails=0 la0 bad=0 cpu0 cpu1 tcpu0 tcpu1
    local wal=$dir/pgdata/pg_wal
    fake_pgdata "$dir"
    say "restore: $label"
    la0=$(loadavg)
    cpu0=$(s3proxy_cpu)
    tcpu0=$(tools_cpu)
    t0=$EPOCHREALTIME
    for s in "${SEGS[@]}"; do
        if restore_one "$kind" "$source" "$dir" "$s" "$wal/RECOVERYXLOG" "$@" >>"$dir/tool.log" 2>&1; then
            mv "$wal/RECOVERYXLOG" "$wal/$s"
        else
            fails=$((fails + 1))
        fi
    done
    t1=$EPOCHREALTIME
    stop_helpers "$dir" 60
    cpu1=$(s3proxy_cpu)
    tcpu1=$(tools_cpu)
    for s in "${SEGS[@]}"; do cmp -s "$WALSRC/$s" "$wal/$s" || bad=$((bad + 1)); done
    [ $bad = 0 ] || { say "  $bad restored segments differ from the originals"; fails=$((fails + 1000 * bad)); }
    local secs rate
    secs=$(elapsed "$t0" "$t1")
    rate=$(awk -v n="${#SEGS[@]}" -v s="$secs" 'BEGIN {printf "%.3f", n / s}')
    printf 'restore\t%s\t%s\t%s\t%s\t%s\t\t%s\t%s\t%s\t\t%s\n' "$label" "$tool" "${#SEGS[@]}" "$secs" "$rate" "$fails" "$la0" "$(loadavg)" \
        "$(cpu_columns "$cpu0" "$cpu1" "$tcpu0" "$tcpu1")" >>"$RAW"
    say "  ${#SEGS[@]} segments in $secs s: $rate segments/s (failures $fails)"
    rm -rf "$wal"
}

# --- archive rate ----------------------------------------------------------------------------------
# Uncompressed everywhere (barman-cloud's default; pgBackRest set to compress-type=none).
archive_run barman "barman-cloud-wal-archive" barman
archive_run cumulus-sync "cumulus-wal-archive" cumulus
[ "$WITH_PGBR" = 1 ] && archive_run pgbr-sync "pgbackrest archive-push" pgbackrest
for p in $PARALLEL; do
    archive_run "cumulus-async$p" "cumulus-wal-archive --async --max-parallel $p" cumulus-async --max-parallel "$p"
done
if [ "$WITH_PGBR" = 1 ]; then
    for p in $PARALLEL; do
        archive_run "pgbr-async$p" "pgbackrest archive-push archive-async=y process-max=$p" pgbackrest
    done
fi

# --- restore rate ----------------------------------------------------------------------------------
# Each tool restores what it archived above (barman-cloud and Cumulus share the bucket layout).
restore_run barman "barman-cloud-wal-restore" barman barman
restore_run cumulus "cumulus-wal-restore" cumulus cumulus-sync
restore_run "cumulus-prefetch$PREFETCH" "cumulus-wal-restore --prefetch $PREFETCH" cumulus-prefetch cumulus-sync
if [ "$WITH_PGBR" = 1 ]; then
    restore_run pgbr-get "pgbackrest archive-get" pgbackrest "" get-sync
    for p in $PARALLEL; do
        restore_run "pgbr-get-async$p" "pgbackrest archive-get archive-async=y process-max=$p (queue 128MiB)" \
            pgbackrest "" "get-async$p"
    done
fi

# --- per-call latency of one synchronous archive call ---------------------------------------------
# Round-robin over the variants, so that load from elsewhere hits every tool alike; every call
# stores a segment not yet in its prefix (pgBackRest and Cumulus skip a segment already stored).
declare -A LAT CPU
TIMEFORMAT='%R %U %S'
variants=("cumulus|plain|cumulus-wal-archive" "barman|plain|barman-cloud-wal-archive"
          "cumulus|gzip|cumulus-wal-archive --gzip (level 6)" "cumulus|gzip9|cumulus-wal-archive --gzip --compression-level 9"
          "barman|gzip|barman-cloud-wal-archive --gzip (level 9)")
if [ "$WITH_PGBR" = 1 ]; then
    variants+=("pgbackrest|plain|pgbackrest archive-push (compress-type=none), HTTPS"
               "pgbackrest|gzip|pgbackrest archive-push (compress-type=gz, level 6), HTTPS"
               "barman-https|plain|barman-cloud-wal-archive, HTTPS (control)"
               "cumulus-https|plain|cumulus-wal-archive, HTTPS (control)")
fi
say "latency: $LAT_CALLS calls of each of ${#variants[@]} variants"
fake_pgdata "$WORK/lat"
for s in "${LAT_SEGS[@]}"; do ln "$WALSRC/$s" "$WORK/lat/pgdata/pg_wal/$s"; done
la0=$(loadavg)
for s in "${LAT_SEGS[@]}"; do
    for v in "${variants[@]}"; do
        IFS='|' read -r kind comp _ <<<"$v"
        case $kind/$comp in
            */plain) extra=() ;;
            cumulus/gzip | barman/gzip) extra=(--gzip) ;;
            cumulus/gzip9) extra=(--gzip --compression-level 9) ;;
            pgbackrest/*) extra=() ;;
        esac
        # bash's time: wall, and user + system CPU of the call and every child it waited for
        if { time archive_one "$kind" "lat-$kind-$comp" "$WORK/lat" "$WORK/lat/pgdata/pg_wal/$s" "${extra[@]}" \
                >>"$WORK/lat/tool.log" 2>&1; } 2>"$WORK/lat/time"; then
            read -r wall cpu_user cpu_sys <"$WORK/lat/time"
            LAT[$kind/$comp]+="$wall "
            CPU[$kind/$comp]+="$(awk -v u="$cpu_user" -v s="$cpu_sys" 'BEGIN {print u + s}') "
        else
            LAT[$kind/$comp]+="fail "
        fi
    done
done
la1=$(loadavg)
median_ms() { tr ' ' '\n' | grep -v '^$' | grep -v fail | sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) printf "%.0f", a[(NR+1)/2]*1000; else printf "%.0f", (a[NR/2]+a[NR/2+1])*500}'; }
for v in "${variants[@]}"; do
    IFS='|' read -r kind comp tool <<<"$v"
    samples=${LAT[$kind/$comp]}
    fails=$(tr ' ' '\n' <<<"$samples" | grep -c fail)
    printf 'latency\t%s\t%s\t%s\t\t\t%s\t%s\t%s\t%s\t%s\t\t\t\n' "$kind-$comp" "$tool" "$LAT_CALLS" "$(median_ms <<<"$samples")" \
        "$fails" "$la0" "$la1" "$(median_ms <<<"${CPU[$kind/$comp]:-}")" >>"$RAW"
done
stop_helpers "$WORK/lat" 10

# --- report ----------------------------------------------------------------------------------------
REPORT=$OUT/report-$STAMP.md
{
    echo "## Run $STAMP"
    echo
    echo "Command: \`${BENCH_CMD:-bench/run.sh}\` (segments $SEGMENTS, latency calls $LAT_CALLS, prefetch $PREFETCH, parallel $PARALLEL)"
    echo
    echo '```'
    echo "date:      $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "machine:   nproc $(nproc), $(uname -srm)"
    free -g | sed 's/^/           /'
    echo "java:      $(java -version 2>&1 | head -2 | tr '\n' ' ')"
    echo "cumulus:   $("$CUMULUS_ARCHIVE" --version 2>&1 | head -1), $CUMULUS_BUILD"
    echo "           (dist/ copied at start; $CDS_NOTE)"
    echo "barman:    $(barman-cloud-wal-archive --version 2>&1 | head -1), boto3 $(/usr/bin/python3 -c 'import boto3; print(boto3.__version__)' 2>/dev/null)"
    echo "pgbackrest: ${PGBR_VERSION:-not run} ${PGBR_NOTE}"
    echo "s3proxy:   S3Proxy 2.7.0 (filesystem backend, SigV4), one JVM; HTTP for Cumulus and barman-cloud, HTTPS (same buckets) for pgBackRest"
    echo "segments:  ${#SEGS[@]} x 16 MiB real WAL from PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') (pgbench -i -s $PG_SCALE, then TPC-B);"
    echo "           gzip -1 size of the set: mean $GZ_ALL MiB; gzip -6 of the latency segments: mean $GZ_BYTES MiB"
    echo "loadavg:   $(cat /proc/loadavg) at the end"
    echo "faults:    $FAULT0 µs of CPU per page first touched before the measurements, $(fault_cost) µs after (256 MiB, anonymous)"
    echo "steal:     $(awk -v a="$STEAL0" -v b="$(steal_seconds)" 'BEGIN {printf "%.1f", b - a}') CPU-s taken by the host in the $(elapsed "$RUN_T0" "$EPOCHREALTIME") s of measurements ($(nproc) vCPUs)"
    echo '```'
    echo
    awk -F'\t' '
        NR == 1 { next }
        $1 == "archive" && $2 == "barman" { ab = $6 }
        $1 == "restore" && $2 == "barman" { rb = $6 }
        $1 == "latency" && $2 == "barman-plain" { lp = $7; cp = $11 }
        $1 == "latency" && $2 == "barman-gzip" { lg = $7; cg = $11 }
        $1 == "latency" && $2 == "barman-https-plain" { lh = $7; ch = $11 }
        { row[NR] = $0 }
        END {
            print "| measurement | tool | segments/s | ratio to barman-cloud | tool CPU s/segment | S3Proxy CPU s/segment | of it kernel | failures | load avg before/after |"
            print "|---|---|---:|---:|---:|---:|---:|---:|---|"
            for (i = 2; i <= NR; i++) {
                split(row[i], f, "\t")
                if (f[1] == "latency") continue
                base = f[1] == "archive" ? ab : rb
                printf "| %s | %s | %.2f | %.2fx | %.2f | %.2f | %.2f | %d | %s / %s |\n", f[1], f[3], f[6], f[6] / base, f[13] / f[4], f[12] / f[4], f[14] / f[4], f[8], f[9], f[10]
            }
            print ""
            print "| one synchronous archive call (median) | tool | wall ms | ratio to barman-cloud | client CPU ms | CPU ratio | failures |"
            print "|---|---|---:|---:|---:|---:|---:|"
            for (i = 2; i <= NR; i++) {
                split(row[i], f, "\t")
                if (f[1] != "latency") continue
                https = f[3] ~ /HTTPS/
                if (f[2] ~ /plain$/) { base = https ? lh : lp; cbase = https ? ch : cp; what = "uncompressed" } 
                else { base = lg; cbase = cg; what = "gzip" }
                if (f[7] == "nan" || f[7] == "") {
                    # every call failed: no time to report (the work directory, kept with BENCH_KEEP=1, has the logs)
                    printf "| %s%s | %s | every call failed | | | | %d |\n", what, (https ? ", HTTPS" : ""), f[3], f[8]
                    continue
                }
                printf "| %s%s | %s | %d | %.2fx | %d | %.2fx | %d |\n", what, (https ? ", HTTPS" : ""), f[3], f[7], f[7] / base, f[11], f[11] / cbase, f[8]
            }
        }' "$RAW"
    echo
    echo "Raw table (\`bench/results/$(basename "$RAW")\`):"
    echo
    echo '```'
    column -t -s $'\t' "$RAW"
    echo '```'
} >"$REPORT"
cat "$REPORT"
say "report: $REPORT"
