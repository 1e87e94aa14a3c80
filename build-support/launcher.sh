# Sourced by every Cumulus launcher in bin/ after it sets CUMULUS_MAIN (the class to run),
# cumulus_self (its own path, links resolved) and, optionally, CUMULUS_JVM_FLAGS. Starts the JVM the
# tool's jar needs, with flags for a process that lives for one command (serial GC, a bounded heap),
# or for a worker that a call starts, and what was built at packaging time (build-support/cds-archive.sh)
# to start fast:
# - lib/aot.java and lib/aot.cache: a Java 25 or newer found on the build machine, and the tool's
#   ahead-of-time cache (classes loaded and linked, method profiles) made by that very runtime;
# - lib/cds.jsa: a class-data-sharing archive for the default Java (17), used otherwise;
# - lib/azure/aot.cache, lib/gcs/aot.cache: the same for a call to Azure, to GCS.
# A JVM that cannot use its archive or cache (another Java build, jars changed) starts without it.
# The JVM replaces the shell (exec): a tool that must know whether Java ran sources this in a subshell
# (cumulus-wal-restore); a launcher whose sourcing comes back has not started Java. Where there is no Java
# runtime to start, this ends the shell itself with one line, exit 4 (or cumulus_no_java_exit, with
# cumulus_no_java_note after the line, as the launcher sets them).
cumulus_tool_dir=${cumulus_self%/*/*}
# Lets a tool start another process of itself (the --async uploader) with the same JVM set-up.
CUMULUS_LAUNCHER=$cumulus_self
export CUMULUS_LAUNCHER
cumulus_java=
cumulus_aot_java=
# An Azure or GCS call (--cloud-provider azure-blob-storage, google-cloud-storage) has that SDK's jars,
# lib/azure/ or lib/gcs/, on its class path, after the tool's own (its jar's manifest lists lib/), and
# starts from the archive or cache that cds-archive.sh trained on that class path (lib/azure/aot.cache...)
# when there is one. Neither holds classes of a class loader of the tool's own, through which the SDK
# otherwise loads (ProviderBridges): every such call loaded and verified its classes from the jars
# (docs/benchmarks.md, finding 29). The tool asks its own jars first either way, so the same classes answer.
cumulus_archives=$cumulus_tool_dir/lib
cumulus_classpath=
# The provider is --cloud-provider's value, as the tool reads it: the option or a unique prefix of it (--cl
# is one), its value next or after "=", the last one given, none after "--". A server name or a path that
# happens to be "azure-blob-storage" names no provider.
cumulus_provider=
cumulus_prev=
for cumulus_arg in "$@"; do
    [ "$cumulus_arg" = -- ] && break
    cumulus_value=
    case $cumulus_arg in
    --cl*=*) cumulus_value=${cumulus_arg#*=} ;;
    *)
        case $cumulus_prev in
        --cl*=*) ;;
        --cl*) cumulus_value=$cumulus_arg ;;
        esac
        ;;
    esac
    case $cumulus_value in
    azure-blob-storage) cumulus_provider=azure ;;
    google-cloud-storage) cumulus_provider=gcs ;;
    ?*) cumulus_provider= ;;
    esac
    cumulus_prev=$cumulus_arg
done
if [ -n "$cumulus_provider" ] && [ -d "$cumulus_tool_dir/lib/$cumulus_provider" ]; then
    cumulus_archives=$cumulus_tool_dir/lib/$cumulus_provider
    for cumulus_file in "$cumulus_archives"/*.jar; do
        cumulus_classpath=$cumulus_classpath:$cumulus_file
    done
fi
# the option naming the archive or cache, one argument (its path may hold spaces), and the options
# that go with it (no paths, split at spaces)
cumulus_cds=
cumulus_cds_flags=
# An archive or a cache holds the classes of the jars it was made from, and Java does not check the
# jars that a manifest's Class-Path names: a jar newer than it (replaced by hand) turns it off.
# An archive in lib/azure/ or lib/gcs/ holds that directory's classes too.
cumulus_fresh() {
    [ -f "$1" ] || return 1
    for cumulus_file in "$cumulus_tool_dir"/*.jar "$cumulus_tool_dir"/lib/*.jar; do
        [ "$cumulus_file" -nt "$1" ] && return 1
    done
    [ "${1%/*}" = "$cumulus_tool_dir/lib" ] && return 0
    for cumulus_file in "${1%/*}"/*.jar; do
        [ "$cumulus_file" -nt "$1" ] && return 1
    done
    return 0
}
# Sets cumulus_found to the archive or cache named $1 (aot.cache, cds.jsa) that fits this call's class path
# and passes the test $2, if any: the provider's when it is there, else the tool's (whose class path is the
# start of the call's), else nothing (and returns 1). No subshell: a fork is a millisecond of a call.
cumulus_archive() {
    for cumulus_found in "$cumulus_archives/$1" "$cumulus_tool_dir/lib/$1"; do
        cumulus_fresh "$cumulus_found" && { [ -z "${2:-}" ] || "$2" "$cumulus_found"; } && return 0
    done
    cumulus_found=
    return 1
}
if [ -n "${CUMULUS_JAVA:-}" ]; then
    cumulus_java=$CUMULUS_JAVA
    # cds-archive.sh's training run names the runtime it trains: lib/aot.java names that one only once its
    # cache is made, so that the calls made meanwhile keep the runtime they had
    [ -z "${CUMULUS_AOT_OUTPUT:-}" ] || cumulus_aot_java=$CUMULUS_JAVA
elif [ -z "${CUMULUS_NO_CDS:-}" ] && [ -f "$cumulus_tool_dir/lib/aot.java" ]; then
    # (a file this user cannot read, cds-archive.sh run under a umask that kept others out: as if missing,
    # without a line in PostgreSQL's log for every call)
    { read -r cumulus_aot_java <"$cumulus_tool_dir/lib/aot.java"; } 2>/dev/null
    # The packaged runtime whenever it is there, with its cache when the cache fits the jars: the
    # PostgreSQL user often has no java on PATH, and a stale cache sent calls there (exit 127).
    [ -x "$cumulus_aot_java" ] && cumulus_java=$cumulus_aot_java
fi
if [ -n "$cumulus_java" ] && [ "$cumulus_java" = "${cumulus_aot_java:-/}" ]; then
    if [ -n "${CUMULUS_AOT_OUTPUT:-}" ]; then
        # The training run of cds-archive.sh, which writes the cache when the JVM exits: classes,
        # loaded and linked, without the run's method profiles. A JVM replays those at start-up by
        # compiling at once what the training found hot; in a call that lasts a third of a second,
        # on two cores, that compiling delayed the call by about 30 ms (docs/benchmarks.md).
        cumulus_cds="-XX:AOTCacheOutput=$CUMULUS_AOT_OUTPUT"
        cumulus_cds_flags="-XX:+UnlockDiagnosticVMOptions -XX:-AOTRecordTraining -Xlog:aot=off -Xlog:cds=off"
    elif cumulus_archive aot.cache; then
        cumulus_cds="-XX:AOTCache=$cumulus_found"
        cumulus_cds_flags="-Xlog:aot=off -Xlog:cds=off"
    fi
fi
if [ -z "$cumulus_java" ]; then
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
        cumulus_java=$JAVA_HOME/bin/java
    else
        cumulus_java=java
    fi
fi
# Java 24+ warns on stderr (four lines a call) when zstd-jni loads its library or a dependency uses
# sun.misc.Unsafe, both expected of those libraries: the flags that allow them, for a runtime whose
# release file (next to its bin/, read without a fork) says 24 or newer. A `java` found on PATH, often a
# link, has no release file to read there: set JAVA_HOME or CUMULUS_JAVA to the runtime's bin/java.
cumulus_java_flags=
cumulus_java_24="--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow"
case $cumulus_java in
"${cumulus_aot_java:-/}")
    # the packaged runtime: cds-archive.sh chose it for being 25 or newer, so nothing to read per call
    cumulus_java_flags=$cumulus_java_24
    ;;
*/bin/java)
    cumulus_major=0
    while IFS= read -r cumulus_line; do
        case $cumulus_line in
        JAVA_VERSION=*)
            cumulus_line=${cumulus_line#JAVA_VERSION=}
            cumulus_line=${cumulus_line#\"}
            cumulus_major=${cumulus_line%%[!0-9]*}
            break
            ;;
        esac
    done 2>/dev/null <"${cumulus_java%/bin/java}/release"
    if [ "${cumulus_major:-0}" -ge 24 ] 2>/dev/null; then
        cumulus_java_flags=$cumulus_java_24
    fi
    ;;
esac
# A Java 17 maps its archive and reads it in place: one cut short (a copy that a full disk interrupted)
# crashed every call with SIGBUS, where Java 25 turns a truncated cache down by itself. Packaging records
# the archive's size in lib/cds.jsa.size; an archive of another size is left out. The size costs a fork
# (wc), about 1.5 ms of a call's 300 to 450, and only on this path.
cumulus_whole() {
    { read -r cumulus_size <"$1.size"; } 2>/dev/null || return 1
    cumulus_actual=$(wc -c <"$1" 2>/dev/null) || return 1
    [ "${cumulus_actual##* }" = "$cumulus_size" ]
}
# (lib/cds.jsa is the default Java's, never the packaged Java 25's)
if [ -z "$cumulus_cds" ] && [ -z "${CUMULUS_NO_CDS:-}" ] && [ "$cumulus_java" != "${cumulus_aot_java:-}" ] \
    && cumulus_archive cds.jsa cumulus_whole; then
    cumulus_cds="-XX:SharedArchiveFile=$cumulus_found"
    cumulus_cds_flags="-Xlog:cds=off -Xlog:cds+dynamic=off"
fi
# A call lives a fraction of a second, so it keeps to the C1 compiler, which costs least. But a call
# that talks TLS (every store except file:// and an http:// --endpoint-url) encrypts or decrypts a
# whole segment, and the JDK's AES-GCM uses the CPU's AES instructions only in code compiled by C2:
# such a call lets C2 compile the JDK's cipher code at once, and everything else as usual (one HTTPS
# call 859 against 999 ms, docs/benchmarks.md finding 18). An --async call only waits on its spool.
# An s3:// store's TLS is Conscrypt's (BoringSSL, native code) where its library is in lib/native/
# for this machine, unless CUMULUS_TLS=jdk: no Java cipher code to compile then (finding 23).
cumulus_jit="-XX:TieredStopAtLevel=1"
cumulus_heap=-Xmx256m
cumulus_tls=1
cumulus_s3=
cumulus_worker=
for cumulus_arg in "$@"; do
    # an http:// endpoint (after --endpoint-url, or an Azure URL such as Azurite's), a directory, a spool
    case $cumulus_arg in
    [Hh][Tt][Tt][Pp]://* | --endpoint-url=[Hh][Tt][Tt][Pp]://* | [Ff][Ii][Ll][Ee]://* | --async) cumulus_tls= ;;
    [Ss]3://*) cumulus_s3=1 ;;
    # the process a call starts to work on after it returns: the --async uploader, the --prefetch worker
    --async-uploader | --prefetch-worker) cumulus_worker=1 ;;
    esac
done
cumulus_native=
if [ -d "$cumulus_tool_dir/lib/native" ]; then
    cumulus_native="-Djava.library.path=$cumulus_tool_dir/lib/native"
    if [ -n "$cumulus_tls" ] && [ -n "$cumulus_s3" ]; then
        # a recent Linux names its machine in /proc/sys/kernel/arch, read without a fork; else uname
        { read -r cumulus_machine </proc/sys/kernel/arch && cumulus_machine="Linux $cumulus_machine"; } 2>/dev/null \
            || cumulus_machine=$(uname -sm)
        case ${CUMULUS_TLS:-}/$cumulus_machine in
        [Jj][Dd][Kk]/*) ;;
        */"Linux x86_64") [ -f "$cumulus_tool_dir/lib/native/libconscrypt_openjdk_jni-linux-x86_64.so" ] && cumulus_tls= ;;
        */"Linux aarch64") [ -f "$cumulus_tool_dir/lib/native/libconscrypt_openjdk_jni-linux-aarch_64.so" ] && cumulus_tls= ;;
        esac
    fi
fi
# A worker lives for many files: the full JIT, but each method compiled only after five times the
# usual number of calls. The compilers were a quarter of a fresh uploader's CPU over 120 segments,
# mostly compiling request code that runs a few hundred times; the loops that matter (the MD5, the
# copies) still reach C2 within the first segment. On a host whose cores also serve the store, that
# CPU is the archive rate (docs/benchmarks.md, finding 25).
if [ -n "$cumulus_worker" ]; then
    cumulus_jit="-XX:CompileThresholdScaling=5"
    cumulus_heap=-Xmx512m
elif [ -n "$cumulus_tls" ]; then
    cumulus_jit="-XX:CompileCommand=quiet -XX:CompileCommand=CompileThresholdScaling,com.sun.crypto.provider.*::*,0.01"
fi
# Java decodes file names (the working directory, a tablespace's path, a file in the data directory) with
# the charset of the locale's LC_CTYPE: under C or POSIX, the postmaster's locale when LANG is unset, that
# is ASCII, and a non-ASCII name becomes '?'s that name no file. UTF-8 then, as PostgreSQL's own files
# are; a site's other locale (fr_FR.ISO-8859-1) is kept. A C or POSIX LC_ALL becomes C.UTF-8 itself (C
# but for the charset; unset, it would let a LANG naming a locale this host lacks fail them all). Where
# C.UTF-8 does not exist the JVM stays with ASCII, and a tool whose working directory it cannot read says
# so (exit 4).
case ${LC_ALL:-${LC_CTYPE:-${LANG:-}}} in
"" | C | POSIX)
    if [ -n "${LC_ALL:-}" ]; then
        LC_ALL=C.UTF-8
        export LC_ALL
    else
        LC_CTYPE=C.UTF-8
        export LC_CTYPE
    fi
    ;;
esac
# The tool's own jar, at the top of its directory; its manifest Class-Path lists lib/*.jar.
for cumulus_jar in "$cumulus_tool_dir"/*.jar; do :; done
# The JVM's arguments go in front of the tool's, the last first. A path in the tool's directory is one
# argument wherever the tool is installed (a path with spaces or glob characters); the flag lists split
# at spaces, CUMULUS_JVM_FLAGS and CUMULUS_JAVA_OPTS as the user wrote them.
set -f # the flags hold method patterns, not file names
# useNativeAccessorOnly: since Java 18, Method.invoke makes a method-handle accessor for each method on its
# first call, spinning classes at run time that neither the AOT cache nor a CDS archive holds, and the SDK
# calls a few methods by reflection for every client it builds. With the JDK's JNI accessors a call spins
# none of those (about 10 ms less, docs/benchmarks.md, finding 28); a few reflective calls per request do
# not notice the slower accessor. Java 17, whose reflection works the old way, ignores the property. It
# comes before CUMULUS_JAVA_OPTS, where a -D of the same property wins.
# shellcheck disable=SC2086 # flag lists are meant to split
set -- -Djdk.reflect.useNativeAccessorOnly=true ${CUMULUS_JAVA_OPTS:-} -cp "$cumulus_jar$cumulus_classpath" "$CUMULUS_MAIN" "$@"
[ -z "$cumulus_native" ] || set -- "$cumulus_native" "$@"
# shellcheck disable=SC2086
[ -z "$cumulus_cds" ] || set -- "$cumulus_cds" $cumulus_cds_flags "$@"
# shellcheck disable=SC2086
[ -z "$cumulus_java_flags" ] || set -- $cumulus_java_flags "$@"
# -XX:-UsePerfData: no hsperfdata file (/tmp/hsperfdata_USER/PID, for jps and jstat). With /tmp full every
# JVM printed two lines of warning about it, into PostgreSQL's log at each archive or restore call, with
# advice (-Djava.io.tmpdir) that Linux ignores; and its creation is start-up time. Before the user's flags,
# so that CUMULUS_JAVA_OPTS=-XX:+UsePerfData brings it back. The archives and caches take either setting,
# and cds-archive.sh trains through this launcher anyway.
# shellcheck disable=SC2086
set -- -XX:+UseSerialGC -Xss1m -XX:-UsePerfData ${CUMULUS_JVM_FLAGS:-$cumulus_jit $cumulus_heap} "$@"
# A JVM that crashes writes its report (hs_err_pid*.log, some 30 KB) into the working directory, which for
# archive_command and restore_command is the data directory: into the temporary directory instead.
set -- "-XX:ErrorFile=${TMPDIR:-/tmp}/cumulus_hs_err_%p.log" "$@"
# PostgreSQL's immediate shutdown sends SIGQUIT to its children's process groups, archive_command's and
# restore_command's included: a JVM would print a thread dump into the server's log and go on (a
# wal-restore then wrote pg_wal/RECOVERYXLOG into the stopped cluster). -Xrs leaves SIGQUIT, SIGTERM and
# SIGINT to the system, which ends the process. Only for the one-shot WAL calls: a worker runs in its own
# session, which PostgreSQL's signals do not reach, and cumulus-backup cleans up on SIGTERM (a hook).
if [ -z "$cumulus_worker" ]; then
    case $CUMULUS_MAIN in
    *.WalArchiveCommand | *.WalRestoreCommand) set -- -Xrs "$@" ;;
    esac
fi
# No runtime to start: exec would fail ("java: not found", exit 127), which PostgreSQL takes for a failure
# of the shell itself: its archiver exits FATAL before it counts the failure (pg_stat_archiver's failed_count
# and last_failed_wal never move). One line instead, naming what was looked at and the fix, and the tools'
# code for any other error, 4 (cumulus-wal-restore's launcher sets its own code and what follows the line).
# Without a fork: command -v looks a name up on PATH, a path is tested as it is.
case $cumulus_java in
*/*) [ -f "$cumulus_java" ] && [ -x "$cumulus_java" ] ;;
*) command -v "$cumulus_java" >/dev/null 2>&1 ;;
esac || {
    if [ -n "${CUMULUS_JAVA:-}" ]; then
        cumulus_looked="CUMULUS_JAVA ($CUMULUS_JAVA) is not an executable file"
        case $CUMULUS_JAVA in */*) ;; *) cumulus_looked="CUMULUS_JAVA ($CUMULUS_JAVA) is not on PATH (${PATH-unset})" ;; esac
        cumulus_fix="point CUMULUS_JAVA at a Java runtime's bin/java"
    else
        cumulus_looked=
        [ -z "$cumulus_aot_java" ] || cumulus_looked="the packaged runtime ($cumulus_aot_java, named in lib/aot.java) is gone, "
        if [ -n "${JAVA_HOME:-}" ]; then
            cumulus_looked="${cumulus_looked}JAVA_HOME ($JAVA_HOME) has no bin/java"
        else
            cumulus_looked="${cumulus_looked}JAVA_HOME is not set"
        fi
        cumulus_looked="$cumulus_looked and PATH (${PATH-unset}) has no java"
        cumulus_fix="set JAVA_HOME or CUMULUS_JAVA"
    fi
    # archive_command and restore_command have the server's environment, not the DBA's login profile
    case $CUMULUS_MAIN in
    *.WalArchiveCommand | *.WalRestoreCommand)
        cumulus_fix="$cumulus_fix in PostgreSQL's environment (the server's systemd unit, or pg_ctlcluster's /etc/postgresql/VERSION/CLUSTER/environment)"
        ;;
    esac
    printf '%s\n' "${cumulus_self##*/}: no Java runtime: $cumulus_looked; $cumulus_fix${cumulus_no_java_note:-}" >&2
    exit "${cumulus_no_java_exit:-4}"
}
exec "$cumulus_java" "$@"
