# Shared by bench/run.sh, bench/lag.sh and bench/paced-archive.sh, which source it (bash). Each sets
# ROOT (the checkout), WORK (its own work directory, unique to the run) and defines die and say first.
# Every process a script starts is stopped by its PID: S3Proxy by the PID kept here, the tools'
# detached helpers (Cumulus's uploader and prefetcher, pgBackRest's async workers) by the work
# directory in their command line.

BENCH_JAR=$ROOT/bench/target/cumulus-bench-0.1.0-SNAPSHOT.jar
S3PROXY_PID=

# prepare_machine: what a fresh machine lacks, installed or built, so that one command
# runs the benchmark: the project's own set-up (PostgreSQL 15, barman-cli-cloud; scripts/setup.sh),
# Debian's pgbackrest when WITH_PGBR=1 (a failure to install it only drops it from the run), the
# packaged tools in dist/ and the bench jar (Maven, online). Sets WITH_PGBR=0 when pgBackRest is out.
prepare_machine() {
    [ "$(id -u)" = 0 ] || die "run as root (the throwaway PostgreSQL clusters run as the postgres user)"
    bash "$ROOT/scripts/setup.sh" || die "scripts/setup.sh failed: see its message above"
    if [ "${WITH_PGBR:-0}" = 1 ] && ! command -v pgbackrest >/dev/null; then
        say "installing pgbackrest (Debian package)"
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbackrest >/dev/null; then
            say "pgbackrest could not be installed: the run goes on without it"
            WITH_PGBR=0
        fi
    fi
    # dist/ is what gets measured, and the report names the commit: build it when missing, and again
    # when a source or build file is newer than it (a report must not pair a commit with an older build)
    local why= newer
    if [ ! -x "$ROOT/dist/cli-wal-archive/bin/cumulus-wal-archive" ] || [ ! -x "$ROOT/dist/cli-restore/bin/cumulus-wal-restore" ]; then
        why="it is missing"
    else
        newer=$(find "$ROOT/pom.xml" "$ROOT/build-support" "$ROOT/dist-assembly" "$ROOT/modules" "$ROOT"/cli-* \
            -name target -prune -o -type f -newer "$ROOT/dist/cli-wal-archive/cli-wal-archive.jar" -print -quit)
        [ -n "$newer" ] && why="${newer#"$ROOT"/} is newer than it"
    fi
    if [ -n "$why" ]; then
        say "building dist/ (mvn package): $why"
        (cd "$ROOT" && mvn -B -ntp -q -pl dist-assembly -am package -DskipTests) || die "the build of dist/ failed"
    fi
    if [ ! -f "$BENCH_JAR" ] || [ "${BENCH_REBUILD:-0}" = 1 ]; then
        say "building the bench jar"
        (cd "$ROOT" && mvn -B -ntp -q -pl modules/test-support -am install -DskipTests \
            && mvn -B -ntp -q -f bench/pom.xml package) || die "the build of the bench jar failed"
    fi
}

# procs_under TEXT: the PIDs of live processes whose command line mentions TEXT (one grep over all of
# /proc), this shell and its subshells excepted.
procs_under() {
    local file pid
    [ -n "$1" ] || die "procs_under: no text to look for"
    for file in $(grep -lsF -- "$1" /proc/[0-9]*/cmdline); do
        pid=${file#/proc/}
        pid=${pid%/cmdline}
        [ "$pid" != $$ ] && [ "$pid" != "$BASHPID" ] && [ -d "/proc/$pid" ] && echo "$pid"
    done
}

# stop_helpers TEXT [SECONDS]: waits up to SECONDS (default 0) for the processes working in TEXT to
# exit by themselves, then stops them (TERM, and KILL a second later).
stop_helpers() {
    local deadline=$((SECONDS + ${2:-0})) left
    while :; do
        left=$(procs_under "$1")
        [ -z "$left" ] && return 0
        [ $SECONDS -ge $deadline ] && break
        sleep 0.2
    done
    [ "${2:-0}" -gt 0 ] && say "stopping helpers still running in $1: $left"
    kill $left 2>/dev/null
    sleep 1
    left=$(procs_under "$1")
    [ -n "$left" ] && kill -9 $left 2>/dev/null
    return 0
}

# start_s3proxy BUCKET [KEYSTORE PASSWORD]: S3Proxy 2.7.0 in its own JVM (HTTP, and HTTPS with the
# keystore), BUCKET created; sets S3PROXY_PID and returns once it has written $WORK/endpoints.
start_s3proxy() {
    [ -f "$BENCH_JAR" ] || die "no bench jar: run prepare_machine first"
    java -Xmx2g -cp "$BENCH_JAR" io.cumulus.bench.S3ProxyMain "$WORK/endpoints" "$@" >"$WORK/s3proxy.log" 2>&1 &
    S3PROXY_PID=$!
    for _ in $(seq 300); do
        [ -f "$WORK/endpoints" ] && return 0
        kill -0 "$S3PROXY_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$WORK/s3proxy.log" >&2
    die "S3Proxy did not start"
}

stop_s3proxy() {
    [ -n "$S3PROXY_PID" ] || return 0
    kill "$S3PROXY_PID" 2>/dev/null
    wait "$S3PROXY_PID" 2>/dev/null
    S3PROXY_PID=
}

# endpoint KEY: what S3Proxy wrote to $WORK/endpoints under KEY (http, https, access, secret, basedir).
endpoint() {
    sed -n "s/^$1=//p" "$WORK/endpoints"
}

# private_tools DEST MODULE...: copies dist/MODULE to DEST/MODULE, because other builds may rewrite
# dist/ while a benchmark runs, and rebuilds its AOT cache (or CDS archive) for the copy's path with
# the project's own packaging script, as a cache maps only at the jar paths it was made with.
private_tools() {
    local dest=$1 module
    shift
    mkdir -p "$dest"
    for module in "$@"; do
        cp -a "$ROOT/dist/$module" "$dest/" || die "cannot copy dist/$module"
        [ -f "$ROOT/build-support/cds-archive.sh" ] && sh "$ROOT/build-support/cds-archive.sh" "$dest/$module"
    done
    return 0
}
