#!/bin/sh
# Builds what lets one packaged tool start fast, by running the tool's training script
# (TOOL_DIR/bin/cds-training) once per runtime:
# - TOOL_DIR/lib/cds.jsa, a class-data-sharing archive for the default Java (-XX:ArchiveClassesAtExit);
# - when a Java 25 or newer is on this machine (CUMULUS_AOT_JAVA, else the one lib/aot.java names, JAVA_HOME,
#   PATH or /usr/lib/jvm; CUMULUS_AOT_JAVA=none skips it): TOOL_DIR/lib/aot.cache, that runtime's
#   ahead-of-time cache (-XX:AOTCacheOutput), and TOOL_DIR/lib/aot.java, the runtime's path, which
#   the launcher then prefers.
# When python3 is there, a throwaway in-memory S3 endpoint (fake-s3.py) lets the training call go
# through the S3 provider, whose classes are most of what a call loads. A tool with lib/azure/ or lib/gcs/
# gets a cache there too (Java 25+ only), for its Azure or GCS calls, from a training call (cds-training DIR
# azure|gcs) to a throwaway endpoint (fake-azure.py, fake-gcs.py), started only for a training script that
# reads that endpoint's variable; a training script that trains no call of that provider runs nothing then.
# A JVM that cannot dump an archive only costs the tool its fast start, never the build: exit 0 then, with
# what was kept said on standard error. Exit 2 when TOOL_DIR is no tool directory, 1 when this user cannot
# write there.
#
# A DBA runs this on a live host (after moving the install, after a Java update), while PostgreSQL calls the
# tool: every file is made under a temporary name and renamed into place once complete (a rename replaces a
# file at once), and what the tool has stays until its replacement is ready; the calls made meanwhile keep
# their runtime (without lib/aot.java, a PostgreSQL user with no java on PATH failed to archive, exit 127). An
# old file is removed only when it can no longer serve (its runtime gone, a jar newer than it) and no new one
# was made. Each output gets the permissions of the tool's jar, not this shell's umask: root's 077 left
# lib/aot.java unreadable to the PostgreSQL user.
set -u
tool_dir=${1:-}
training=$tool_dir/bin/cds-training
if [ -z "$tool_dir" ]; then
    echo "cds-archive: no directory given; give a tool directory such as /opt/cumulus/cli-wal-archive" >&2
    exit 2
elif [ ! -x "$training" ]; then
    echo "cds-archive: $tool_dir is not a Cumulus tool directory (no bin/cds-training); give a tool directory such as /opt/cumulus/cli-wal-archive" >&2
    exit 2
fi
# the physical path, which the launchers run the tool from (readlink -f): a Java 17 archive made through
# a link (/opt/cumulus/current/cli-wal-archive) would record jar paths no call uses
tool_dir=$(readlink -f "$tool_dir")
training=$tool_dir/bin/cds-training
lib=$tool_dir/lib
for dir in "$lib" "$lib/azure" "$lib/gcs"; do
    if [ -d "$dir" ] && [ ! -w "$dir" ]; then
        echo "cds-archive: cannot write in $dir: run it as the owner of $tool_dir" >&2
        exit 1
    fi
done
# the runtime the tool runs on now, if any: kept until a new one has its cache
old_java=
{ read -r old_java <"$lib/aot.java"; } 2>/dev/null
work=$(mktemp -d)
fake_s3=
fake_azure=
fake_gcs=
cleanup() {
    [ -n "$fake_s3" ] && kill "$fake_s3" 2>/dev/null
    [ -n "$fake_azure" ] && kill "$fake_azure" 2>/dev/null
    [ -n "$fake_gcs" ] && kill "$fake_gcs" 2>/dev/null
    rm -f "$lib/cds.jsa.tmp" "$lib/cds.jsa.size.tmp" "$lib/aot.java.tmp" "$lib/aot.cache.tmp" \
        "$lib/azure/aot.cache.tmp" "$lib/gcs/aot.cache.tmp"
    rm -rf "$work"
}
trap cleanup EXIT
# a shell killed by a signal skips its EXIT trap: the throwaway endpoints would stay listening
trap 'exit 130' INT TERM HUP
# readable FILE: the permissions of the tool's jar (readable by the PostgreSQL user wherever the jars are)
for jar in "$tool_dir"/*.jar; do :; done
readable() {
    chmod --reference="$jar" "$1" 2>/dev/null || chmod a+r "$1"
}
# stale FILE: whether FILE can no longer serve the launcher, which leaves out an archive or a cache older
# than a jar of the tool (or of FILE's own directory, lib/azure/ or lib/gcs/)
stale() {
    for file in "$tool_dir"/*.jar "$lib"/*.jar "${1%/*}"/*.jar; do
        [ "$file" -nt "$1" ] && return 0
    done
    return 1
}
# fake NAME: starts build-support/fake-NAME.py, sets fake_port to the port it serves on (empty if it did not
# start in 5 s) and the variable fake_NAME to its PID.
fake() {
    python3 "$(dirname "$0")/fake-$1.py" >"$work/$1.port" 2>/dev/null &
    eval "fake_$1=\$!"
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        [ -s "$work/$1.port" ] && break
        sleep 0.5
    done
    fake_port=$(cat "$work/$1.port")
}
# seed_gcs PORT: puts the segment that a restore's training call reads (16 MiB of zeros, under the "seeded"
# server) into fake-gcs.py, which serves only what was written to it
seed_gcs() {
    python3 - "$1" <<'PY'
import sys, urllib.request
name = b'{"name": "cds/seeded/wals/0000000100000000/000000010000000000000001"}'
body = (b"--training\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n" + name
        + b"\r\n--training\r\nContent-Type: application/octet-stream\r\n\r\n" + bytes(16 << 20)
        + b"\r\n--training--\r\n")
urllib.request.urlopen(urllib.request.Request(
    "http://127.0.0.1:%s/upload/storage/v1/b/training/o?uploadType=multipart" % sys.argv[1], body,
    {"Content-Type": 'multipart/related; boundary="training"'})).read()
PY
}
# The major version of the Java runtime whose java binary is $1 (from its release file), or 0.
java_major() {
    home=$(dirname "$(dirname "$(readlink -f "$1")")")
    version=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release" 2>/dev/null)
    echo "${version:-0}"
}

# The newest Java 25+ runtime on this machine, or nothing; the one the tool runs on now wins a tie (a runtime
# found through the build's JAVA_HOME, which the DBA's shell may not have, stays the tool's).
aot_java() {
    if [ -n "${CUMULUS_AOT_JAVA:-}" ]; then
        [ "$CUMULUS_AOT_JAVA" != none ] && readlink -f "$CUMULUS_AOT_JAVA"
        return
    fi
    best= best_major=24
    for candidate in "${old_java:-/nonexistent}" "${JAVA_HOME:-/nonexistent}/bin/java" "$(command -v java 2>/dev/null)" \
        /usr/lib/jvm/*/bin/java; do
        [ -x "$candidate" ] || continue
        major=$(java_major "$candidate")
        if [ "$major" -gt "$best_major" ]; then
            best=$(readlink -f "$candidate") best_major=$major
        fi
    done
    echo "$best"
}

# the Java 25+ that makes the AOT caches, if any: the provider endpoints below are started only for it
java=$(aot_java)
if command -v python3 >/dev/null 2>&1; then
    fake s3
    [ -n "$fake_port" ] && CUMULUS_TRAINING_S3_ENDPOINT=http://127.0.0.1:$fake_port && export CUMULUS_TRAINING_S3_ENDPOINT
    # a provider's endpoint only for what trains it: a Java 25+ (provider caches are AOT caches) and a training
    # script that calls that provider (it reads the endpoint's variable)
    if [ -n "$java" ] && [ -d "$tool_dir/lib/gcs" ] && grep -q STORAGE_EMULATOR_HOST "$training"; then
        fake gcs
        if [ -n "$fake_port" ] && seed_gcs "$fake_port"; then
            # as the Google libraries take an emulator's address: no credentials then
            STORAGE_EMULATOR_HOST=127.0.0.1:$fake_port
            export STORAGE_EMULATOR_HOST
        else
            kill "$fake_gcs" 2>/dev/null
            fake_gcs=
        fi
    fi
    if [ -n "$java" ] && [ -d "$tool_dir/lib/azure" ] && grep -q CUMULUS_TRAINING_AZURE_ENDPOINT "$training"; then
        fake azure
        if [ -n "$fake_port" ]; then
            CUMULUS_TRAINING_AZURE_ENDPOINT=http://127.0.0.1:$fake_port/training
            # the credentials as most sites give them to barman-cloud: a connection string (the key is "training")
            AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=training;AccountKey=dHJhaW5pbmc=;BlobEndpoint=$CUMULUS_TRAINING_AZURE_ENDPOINT;"
            export CUMULUS_TRAINING_AZURE_ENDPOINT AZURE_STORAGE_CONNECTION_STRING
        else
            kill "$fake_azure" 2>/dev/null
            fake_azure=
        fi
    fi
fi
# The training calls take credentials and region from the AWS files, as most sites give them, so that
# the SDK's parser of those files is trained too; nothing of the build's own AWS set-up reaches them.
printf '[default]\naws_access_key_id = training\naws_secret_access_key = training\n' >"$work/aws-credentials"
printf '[default]\nregion = us-east-1\n' >"$work/aws-config"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION \
    AZURE_STORAGE_SAS_TOKEN AZURE_STORAGE_KEY
AWS_SHARED_CREDENTIALS_FILE=$work/aws-credentials AWS_CONFIG_FILE=$work/aws-config
export AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE

# limited COMMAND...: runs a training call for at most two minutes where timeout(1) exists: an endpoint that
# accepts and never answers would otherwise hold the build for the client's read timeout times its retries
limited() {
    if command -v timeout >/dev/null 2>&1; then
        timeout 120 "$@"
    else
        "$@"
    fi
}

# train_cds: runs the training script into lib/cds.jsa, the default Java's archive, and records its size
train_cds() {
    # dumped into the work directory (CUMULUS_JAVA_OPTS splits at spaces, and the tool's path may hold
    # some), then copied next to the jars under a temporary name and renamed
    if CUMULUS_NO_CDS=1 CUMULUS_JAVA_OPTS="-XX:ArchiveClassesAtExit=$work/cds.jsa -Xlog:cds=off -Xlog:cds+dynamic=off" \
        limited "$training" "$work/cds" >"$work/training.log" 2>&1 && [ -s "$work/cds.jsa" ] \
        && cp "$work/cds.jsa" "$lib/cds.jsa.tmp" && readable "$lib/cds.jsa.tmp"; then
        size=$(wc -c <"$lib/cds.jsa.tmp")
        # (between the two renames the archive and its size differ, and the launcher leaves the archive out)
        echo "${size##* }" >"$lib/cds.jsa.size.tmp" && readable "$lib/cds.jsa.size.tmp" \
            && mv "$lib/cds.jsa.size.tmp" "$lib/cds.jsa.size" && mv "$lib/cds.jsa.tmp" "$lib/cds.jsa" && return
    fi
    if [ -f "$lib/cds.jsa" ] && ! stale "$lib/cds.jsa"; then
        echo "cds-archive: training run failed; the tool keeps its previous CDS archive, which Java uses only where it still fits:" >&2
    else
        echo "cds-archive: training run failed, the tool will start without a CDS archive:" >&2
        rm -f "$lib/cds.jsa" "$lib/cds.jsa.size"
    fi
    cat "$work/training.log" >&2
}

# train_aot DIR [PROVIDER]: runs the training script on the Java 25+ into DIR/aot.cache.tmp, for PROVIDER's
# class path when given (the script then calls a store of that provider); succeeds when that file is the
# new cache, ready to rename into place. Provider caches are Java 25's only: Java 17 crashes dumping the
# Azure SDK's classes (SIGSEGV in adjust_lambda_proxy_class_dictionary, 17.0.15, dynamic and static archives
# alike), so a provider's calls on Java 17 start from the tool's archive. A script that trains no call of
# PROVIDER runs no JVM, leaves nothing and prints nothing: status 3 then.
train_aot() {
    dir=$1 provider=${2:-}
    (unset CUMULUS_NO_CDS; CUMULUS_JAVA=$java CUMULUS_AOT_OUTPUT=$dir/aot.cache.tmp limited "$training" "$work/aot$provider" $provider) \
        >"$work/aot-training.log" 2>&1
    status=$?
    # (a provider's cache only from a training call that went through: it is all that call's classes)
    if [ -s "$dir/aot.cache.tmp" ] && { [ -z "$provider" ] || [ "$status" = 0 ]; } && readable "$dir/aot.cache.tmp"; then
        return 0
    fi
    rm -f "$dir/aot.cache.tmp"
    [ "$status" = 0 ] && [ -n "$provider" ] && [ ! -s "$work/aot-training.log" ] && return 3
    return 1
}

train_cds
# The Java 25+ runtime and its cache: the new ones in place of the old only once the cache is made (the
# runtime first: a runtime with another's cache turns it down and starts without). When none is made, the
# runtime the tool had stays, with its cache, as long as it is there.
new_java=
if [ -n "$java" ]; then
    if train_aot "$lib" && echo "$java" >"$lib/aot.java.tmp" && readable "$lib/aot.java.tmp" \
        && mv "$lib/aot.java.tmp" "$lib/aot.java"; then
        new_java=$java
        mv "$lib/aot.cache.tmp" "$lib/aot.cache"
    elif [ -n "$old_java" ] && [ -x "$old_java" ]; then
        echo "cds-archive: no AOT cache made with $java; the tool keeps its runtime, $old_java, and its previous cache:" >&2
        cat "$work/aot-training.log" >&2
        new_java=$old_java
    else
        echo "cds-archive: no AOT cache made with $java, the tool will start on the default Java:" >&2
        cat "$work/aot-training.log" >&2
    fi
elif [ -n "$old_java" ] && [ ! -x "$old_java" ] && [ -z "${CUMULUS_AOT_JAVA:-}" ]; then
    echo "cds-archive: $old_java (lib/aot.java) is gone and no other Java 25 or newer was found (JAVA_HOME, PATH, /usr/lib/jvm): the tool will start on the default Java" >&2
fi
if [ -z "$new_java" ]; then
    # no Java 25+ runtime for the tool (none found, CUMULUS_AOT_JAVA=none, or its own gone): nothing to use these
    rm -f "$lib/aot.java" "$lib/aot.cache" "$lib/azure/aot.cache" "$lib/gcs/aot.cache"
    exit 0
fi
# An Azure or GCS call has lib/azure/ or lib/gcs/ on its class path (launcher.sh), and its cache beside those
# jars: trained with the tool's runtime when it has a new one. A cache of a runtime the tool no longer runs
# on is removed when no new one replaces it.
for provider in azure gcs; do
    [ -d "$lib/$provider" ] || continue
    status=3
    if [ "$new_java" = "$java" ] && { { [ "$provider" = azure ] && [ -n "$fake_azure" ]; } || { [ "$provider" = gcs ] && [ -n "$fake_gcs" ]; }; }; then
        train_aot "$lib/$provider" "$provider"
        status=$?
    fi
    if [ "$status" = 0 ]; then
        mv "$lib/$provider/aot.cache.tmp" "$lib/$provider/aot.cache"
        continue
    fi
    if [ "$new_java" != "$old_java" ] || { [ -f "$lib/$provider/aot.cache" ] && stale "$lib/$provider/aot.cache"; }; then
        rm -f "$lib/$provider/aot.cache"
        kept=
    else
        kept=
        [ -f "$lib/$provider/aot.cache" ] && kept=1
    fi
    if [ "$status" = 1 ]; then
        if [ -n "$kept" ]; then
            echo "cds-archive: no AOT cache made for $provider calls, which keep their previous cache:" >&2
        else
            echo "cds-archive: no AOT cache made for $provider calls, which will start from the tool's cache:" >&2
        fi
        cat "$work/aot-training.log" >&2
    fi
done
exit 0
