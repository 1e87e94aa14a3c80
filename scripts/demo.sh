#!/usr/bin/env bash
# The main job, end to end, on the embedded default (file://): a throwaway PostgreSQL 15 cluster
# archives its WAL with cumulus-wal-archive into a local directory; cumulus-backup takes a base backup
# into the same store; rows are written around a restore point; the origin stops for good; then
# cumulus-restore brings the latest backup back into a new directory with recovery configured to the
# restore point (restore_command = cumulus-wal-restore), the cluster is started, and its data checked.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/setup.sh
if [ ! -x dist/bin/cumulus-wal-archive ] || [ ! -x dist/bin/cumulus-restore ] || [ ! -x dist/bin/cumulus-backup ]; then
    mvn -B -ntp -q package -DskipTests
fi

pgbin=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/cumulus-demo.XXXXXX)
chown postgres: "$work"
as_pg() { runuser -u postgres -- "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cleanup() {
    for d in "$work/origin" "$work/restored"; do
        [ -f "$d/postmaster.pid" ] && as_pg "$pgbin/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

# PostgreSQL runs archive_command and restore_command as the postgres user: when it cannot reach
# this checkout (a clone under /root, say), use a copy of the tools it can.
tools=$root/dist/bin
if ! as_pg test -x "$tools/cumulus-wal-archive"; then
    cp -a "$root/dist" "$work/dist" && chmod -R a+rX "$work/dist"
    tools=$work/dist/bin
fi

store="file://$work/store"
as_pg mkdir "$work/store"
port=$(free_port)
sql() { as_pg "$pgbin/psql" -X -q -h "$work" -p "$port" -d postgres -At -v ON_ERROR_STOP=1 -c "$1"; }

echo "== origin cluster, archiving into $store"
as_pg "$pgbin/initdb" -D "$work/origin" -A trust --data-checksums >/dev/null
cat >> "$work/origin/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$work'
wal_level = replica
archive_mode = on
archive_command = '$tools/cumulus-wal-archive --gzip $store demo %p'
CONF
as_pg "$pgbin/pg_ctl" -D "$work/origin" -l "$work/origin.log" -w start >/dev/null
sql "CREATE TABLE orders(id int PRIMARY KEY, note text); INSERT INTO orders SELECT g, 'before backup' FROM generate_series(1, 1000) g;"

echo "== base backup with cumulus-backup into $store"
as_pg "$tools/cumulus-backup" -q --gzip -h 127.0.0.1 -p "$port" -U postgres --immediate-checkpoint "$store" demo
sql "INSERT INTO orders SELECT g, 'after backup' FROM generate_series(1001, 2000) g;"
sql "SELECT pg_create_restore_point('demo_target');" >/dev/null
sql "INSERT INTO orders SELECT g, 'after target' FROM generate_series(2001, 3000) g;"
last=$(sql "SELECT pg_walfile_name(pg_switch_wal());")
for _ in $(seq 1 60); do
    [ "$(sql "SELECT last_archived_wal >= '$last' FROM pg_stat_archiver;")" = t ] && break
    sleep 1
done
echo "   archived through $last: $(find "$work/store" -type f | wc -l) objects in the store"
echo "== cumulus-check: the whole chain from the cluster to the store"
as_pg "$tools/cumulus-check" -h 127.0.0.1 -p "$port" -U postgres "$store" demo
echo "== the host is lost: the origin cluster stops for good"
as_pg "$pgbin/pg_ctl" -D "$work/origin" -m fast stop >/dev/null

echo "== cumulus-restore of the latest backup into a new directory, to the restore point"
as_pg "$tools/cumulus-restore" -q "$store" demo latest "$work/restored" \
    --recovery-target-name demo_target --recovery-target-action promote
as_pg "$pgbin/pg_ctl" -D "$work/restored" -l "$work/restored.log" -w -t 120 start >/dev/null
for _ in $(seq 1 120); do
    [ "$(sql "SELECT pg_is_in_recovery();" 2>/dev/null)" = f ] && break
    sleep 1
done
rows=$(sql "SELECT count(*) FROM orders;")
late=$(sql "SELECT count(*) FROM orders WHERE note = 'after target';")
echo "   restored cluster has $rows rows, $late written after the target"
if [ "$rows" = 2000 ] && [ "$late" = 0 ]; then
    echo "DEMO PASSED: backup restored and recovered exactly to the restore point from file:// alone"
else
    echo "DEMO FAILED: expected 2000 rows and none after the target" >&2
    tail -20 "$work/restored.log" >&2
    exit 1
fi
