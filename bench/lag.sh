#!/usr/bin/env bash
# Archiver lag under pgbench: how far pg_stat_archiver falls behind the WAL being written while pgbench
# runs at full speed, with archive_command calling Cumulus (--async, and plain) or barman-cloud, side
# by side on one S3Proxy, on this machine. See bench/README.md; results go to bench/results/.
#
#   bench/lag.sh                              # 16 MiB and 1 MiB segments, 30 s of pgbench each, ~8 minutes
#   BENCH_LAG_SEGSIZES=16 bench/lag.sh        # PostgreSQL's default segment size only
#
# Knobs (environment): BENCH_LAG_SEGSIZES ("16 1": wal_segment_size in MB, one cluster each),
# BENCH_LAG_SECONDS (30: pgbench -T), BENCH_LAG_TOOLS ("cumulus-async cumulus barman"),
# BENCH_LAG_PARALLEL (4: --max-parallel of --async), BENCH_OUT (bench/results).
#
# Needs: dist/ (the packaged tools), the bench jar (bench/run.sh builds it), Debian's barman-cli-cloud,
# PostgreSQL 15 in /usr/lib/postgresql/15/bin, a postgres OS user, and to run as root (PostgreSQL runs
# as postgres). Network: 127.0.0.1 only.
set -uo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
SEGSIZES=${BENCH_LAG_SEGSIZES:-16 1}
SECONDS_LOAD=${BENCH_LAG_SECONDS:-30}
TOOLS=${BENCH_LAG_TOOLS:-cumulus-async cumulus barman}
PARALLEL=${BENCH_LAG_PARALLEL:-4}
OUT=${BENCH_OUT:-$ROOT/bench/results}
PG_BIN=${BENCH_PG_BIN:-/usr/lib/postgresql/15/bin}
PORT=55441

die() { echo "lag: $*" >&2; exit 1; }
say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

prepare_machine
[ -x "$PG_BIN/initdb" ] || die "no PostgreSQL at $PG_BIN"
command -v barman-cloud-wal-archive >/dev/null || die "barman-cloud-wal-archive not found (apt install barman-cli-cloud)"

WORK=$(mktemp -d /tmp/cumulus-lag.XXXXXX)
chmod 755 "$WORK"
PG_DATA=
cleanup() {
    set +e
    [ -n "$PG_DATA" ] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1
    stop_helpers "$WORK/spool-"
    stop_s3proxy
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A private copy of the tool (lib.sh); the postgres user runs it, so everything in $WORK is readable.
private_tools "$WORK" cli-wal-archive
CUMULUS=$WORK/cli-wal-archive/bin/cumulus-wal-archive

start_s3proxy bench
ENDPOINT=$(endpoint http)
# archive_command runs as postgres, with what the server's environment holds: the credentials go in a file
# of the postgres user's, named by the standard variables that the server inherits from pg_ctl.
ACCESS=$(endpoint access)
SECRET=$(endpoint secret)
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$ACCESS" "$SECRET" >"$WORK/aws-credentials"
printf '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n' >"$WORK/aws-config"
chown postgres: "$WORK/aws-credentials" "$WORK/aws-config"
chmod 600 "$WORK/aws-credentials"
mkdir -p "$WORK/sock" && chown postgres: "$WORK/sock"
say "S3Proxy at $ENDPOINT (pid $S3PROXY_PID)"

archive_command() { # TOOL SEGSIZE: the archive_command a DBA would write for TOOL
    local prefix="s3://bench/$1-$2mb"
    case $1 in
    cumulus-async) echo "$CUMULUS --async --spool-dir $WORK/spool-$2 --max-parallel $PARALLEL --endpoint-url $ENDPOINT $prefix lag %p" ;;
    cumulus) echo "$CUMULUS --endpoint-url $ENDPOINT $prefix lag %p" ;;
    barman) echo "barman-cloud-wal-archive --endpoint-url $ENDPOINT $prefix lag %p" ;;
    *) die "unknown tool $1" ;;
    esac
}

psql_pg() { runuser -u postgres -- "$PG_BIN/psql" -h "$WORK/sock" -p "$PORT" -U postgres -qAtX "$@" postgres; }

# segment number of a WAL file name, for SEGSIZE MB segments (2^32 / segment size segments per xlogid)
segno() { echo $(( 16#${1:8:8} * (4096 / $2) + 16#${1:16:8} )); }

# run_one TOOL SEGSIZE: a fresh cluster; pgbench -i archived by `true`; then TOOL's archive_command, a
# checkpoint, and pgbench -c 4 -j 2 at full speed, pg_stat_archiver sampled every half second.
run_one() {
    local tool=$1 size=$2 dir=$WORK/pg-$1-$2 log
    PG_DATA=$dir/data
    mkdir -p "$dir" "$WORK/spool-$size" && chown postgres: "$dir" "$WORK/spool-$size"
    runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust --data-checksums \
        --wal-segsize="$size" >"$dir/initdb.log" 2>&1 || die "initdb failed: $(tail -3 "$dir/initdb.log")"
    cat >>"$PG_DATA/postgresql.conf" <<EOF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$WORK/sock'
archive_mode = on
archive_command = 'true'
max_wal_size = 1GB
shared_buffers = 128MB
EOF
    runuser -u postgres -- env AWS_SHARED_CREDENTIALS_FILE="$WORK/aws-credentials" AWS_CONFIG_FILE="$WORK/aws-config" \
        AWS_EC2_METADATA_DISABLED=true "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$dir/server.log" -w start >/dev/null \
        || die "PostgreSQL did not start: $(tail -3 "$dir/server.log")"
    runuser -u postgres -- "$PG_BIN/pgbench" -h "$WORK/sock" -p "$PORT" -U postgres -i -q -s 10 postgres >"$dir/pgbench-i.log" 2>&1 \
        || die "pgbench -i failed"
    # The archiver marked pgbench -i's segments done with `true`; the tool's first call comes from the WAL that
    # pgbench writes, so a --async uploader starts cold, within the measured run (as after a quiet spell longer
    # than --async-idle-timeout). The checkpoint makes pgbench's first writes full-page images, as after a backup.
    psql_pg -c "SELECT pg_switch_wal()" >/dev/null
    sleep 1
    psql_pg -c "ALTER SYSTEM SET archive_command = \$\$$(archive_command "$tool" "$size")\$\$" -c "SELECT pg_reload_conf()" \
        -c CHECKPOINT >/dev/null
    sleep 1 # the reload reaches the archiver
    runuser -u postgres -- "$PG_BIN/pgbench" -h "$WORK/sock" -p "$PORT" -U postgres -c 4 -j 2 -T "$SECONDS_LOAD" postgres \
        >"$dir/pgbench.log" 2>&1 &
    local bench=$! start=$EPOCHREALTIME line cur last lastno=-1 first= behind
    : >"$dir/samples"
    while kill -0 $bench 2>/dev/null; do
        line=$(psql_pg -F ' ' -c "SELECT pg_walfile_name(pg_current_wal_insert_lsn()), coalesce(last_archived_wal, '-'),
            (SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'), failed_count FROM pg_stat_archiver")
        read -r cur last ready failed <<<"$line"
        [ -n "$cur" ] || { sleep 0.5; continue; } # the server did not answer this time
        # last_archived_wal may name a history file: the last segment seen stays the reference
        [[ $last =~ ^[0-9A-F]{24}$ ]] && lastno=$(segno "$last" "$size")
        [ -z "$first" ] && first=$(segno "$cur" "$size")
        behind=$(( $(segno "$cur" "$size") - lastno - 1 ))
        [ $lastno -lt 0 ] || [ $behind -lt 0 ] && behind=0
        printf '%.1f %s %s %d %d %d\n' "$(echo "$EPOCHREALTIME - $start" | bc)" "$cur" "$last" "$behind" "$ready" "$failed" >>"$dir/samples"
        sleep 0.5
    done
    wait $bench || die "pgbench failed: $(tail -3 "$dir/pgbench.log")"
    local tps written
    tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$dir/pgbench.log" | head -1)
    written=$(( $(segno "$(tail -1 "$dir/samples" | cut -d' ' -f2)" "$size") - first ))
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1
    PG_DATA=
    stop_helpers "$WORK/spool-"
    local p90
    p90=$(cut -d' ' -f4 "$dir/samples" | sort -n | awk '{v[NR] = $1} END {i = int(NR * 0.9); if (i < NR * 0.9) i++; print v[i]}')
    awk -v tool="$tool" -v size="$size" -v tps="$tps" -v written="$written" -v secs="$SECONDS_LOAD" -v p90="$p90" '
        { s += $4; if ($4 > m) m = $4; if ($5 > r) r = $5; f = $6; end = $4 }
        END {
            printf "%s\t%s\t%d\t%.1f\t%d\t%d\t%.1f\t%d\t%d\t%s\t%d\n", tool, size, written, written / secs, m,
                p90, s / NR, end, r, tps, f
        }' "$dir/samples" >>"$WORK/rows"
    say "  $tool, $size MB segments: $(tail -1 "$WORK/rows" | awk -F'\t' '{print "written " $3 " segments, behind max " $5 ", p90 " $6 ", at the end " $8 "; tps " $10}')"
    cp "$dir/samples" "$WORK/samples-$tool-$size"
}

: >"$WORK/rows"
for size in $SEGSIZES; do
    for tool in $TOOLS; do
        say "$tool with $size MB segments: pgbench -c 4 -j 2 -T $SECONDS_LOAD"
        run_one "$tool" "$size"
    done
done

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
REPORT=$OUT/lag-$STAMP.md
{
    echo "## Lag run $STAMP"
    echo
    echo "Command: \`${BENCH_CMD:-bench/lag.sh}\` (segment sizes $SEGSIZES MB, pgbench -c 4 -j 2 -T $SECONDS_LOAD, --max-parallel $PARALLEL)"
    echo
    echo '```'
    echo "date:      $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "machine:   nproc $(nproc), $(uname -sr) $(uname -m)"
    echo "cumulus:   commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), dist/ built $(date -u -r "$WORK/cli-wal-archive/cli-wal-archive.jar" '+%Y-%m-%d %H:%M UTC')"
    echo "barman:    $(barman-cloud-wal-archive --version 2>&1 | head -1)"
    echo "postgres:  $("$PG_BIN/postgres" --version), pgbench -i -s 10 archived by 'true', then the tool's archive_command"
    echo '```'
    echo
    echo "Segments behind = finished segments not yet archived (the segment being written minus pg_stat_archiver's last"
    echo "archived one, minus one), sampled every 0.5 s while pgbench runs."
    echo
    echo "| archive_command | segment size | segments written | written/s | behind max | behind p90 | behind mean | behind at the end | .ready max | pgbench tps | failed calls |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' '{
        name = $1 == "cumulus-async" ? "cumulus-wal-archive --async" : ($1 == "cumulus" ? "cumulus-wal-archive" : "barman-cloud-wal-archive")
        printf "| %s | %s MB | %d | %.1f | %d | %d | %.1f | %d | %d | %.0f | %d |\n", name, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
    }' "$WORK/rows"
    echo
    for file in "$WORK"/samples-*; do
        echo "Samples, ${file##*/samples-} (seconds, segments behind):"
        echo
        echo '```'
        awk '{printf "%s:%d ", $1, $4} END {print ""}' "$file" | fold -s -w 110
        echo '```'
        echo
    done
} >"$REPORT"
cat "$REPORT"
say "report: $REPORT"
