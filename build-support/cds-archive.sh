#!/bin/sh
# Builds what lets one packaged tool start fast, by running the tool's training script
# (TOOL_DIR/bin/cds-training, if any) once per runtime:
# - TOOL_DIR/lib/cds.jsa, a class-data-sharing archive for the default Java (-XX:ArchiveClassesAtExit);
# - when a Java 25 or newer is on this machine (CUMULUS_AOT_JAVA, else JAVA_HOME, PATH or
#   /usr/lib/jvm; CUMULUS_AOT_JAVA=none skips it): TOOL_DIR/lib/aot.cache, that runtime's
#   ahead-of-time cache (-XX:AOTCacheOutput), and TOOL_DIR/lib/aot.java, the runtime's path, which
#   the launcher then prefers.
# When python3 is there, a throwaway in-memory S3 endpoint (fake-s3.py) lets the training call go
# through the S3 provider, whose classes are most of what a call loads. A tool with lib/azure/ or lib/gcs/
# gets a cache there too (Java 25+ only), for its Azure or GCS calls, from a training call (cds-training DIR
# azure|gcs) to a throwaway endpoint (fake-azure.py, fake-gcs.py), started only for a training script that
# reads that endpoint's variable; a training script that trains no call of that provider runs nothing then.
# A JVM that cannot dump an archive only costs the tool its fast start, never the build.
set -u
tool_dir=$1
training=$tool_dir/bin/cds-training
[ -x "$training" ] || exit 0
rm -f "$tool_dir/lib/cds.jsa" "$tool_dir/lib/cds.jsa.size" "$tool_dir/lib/aot.cache" "$tool_dir/lib/aot.java" \
    "$tool_dir/lib/azure/aot.cache" "$tool_dir/lib/gcs/aot.cache"
# Each file is written under a temporary name and renamed into place once complete: a Java 17 that maps
# an archive cut short crashes (SIGBUS) on every call. The launcher compares the archive with the size
# recorded in lib/cds.jsa.size, which catches a copy cut short after packaging.
work=$(mktemp -d)
fake_s3=
fake_azure=
fake_gcs=
cleanup() {
    [ -n "$fake_s3" ] && kill "$fake_s3" 2>/dev/null
    [ -n "$fake_azure" ] && kill "$fake_azure" 2>/dev/null
    [ -n "$fake_gcs" ] && kill "$fake_gcs" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
# a shell killed by a signal skips its EXIT trap: the throwaway endpoints would stay listening
trap 'exit 130' INT TERM HUP
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

# The newest Java 25+ runtime on this machine, or nothing.
aot_java() {
    if [ -n "${CUMULUS_AOT_JAVA:-}" ]; then
        [ "$CUMULUS_AOT_JAVA" != none ] && readlink -f "$CUMULUS_AOT_JAVA"
        return
    fi
    best= best_major=24
    for candidate in "${JAVA_HOME:-/nonexistent}/bin/java" "$(command -v java 2>/dev/null)" /usr/lib/jvm/*/bin/java; do
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

# train DIR [PROVIDER]: runs the training script into DIR/cds.jsa and, with Java 25+, DIR/aot.cache; for
# PROVIDER's class path when given (the script then calls a store of that provider), into DIR/aot.cache
# only: Java 17 crashes dumping the Azure SDK's classes (SIGSEGV in adjust_lambda_proxy_class_dictionary,
# 17.0.15, dynamic and static archives alike), so a provider's calls on Java 17 start from the tool's archive. A script
# that trains no call of PROVIDER runs no JVM and leaves nothing, silently.
train() {
    dir=$1 provider=${2:-}
    if [ -z "$provider" ]; then
        # dumped into the work directory (CUMULUS_JAVA_OPTS splits at spaces, and the tool's path may hold
        # some), then copied next to the jars under a temporary name and renamed
        if CUMULUS_NO_CDS=1 CUMULUS_JAVA_OPTS="-XX:ArchiveClassesAtExit=$work/cds.jsa -Xlog:cds=off -Xlog:cds+dynamic=off" \
            limited "$training" "$work/cds" >"$work/training.log" 2>&1 && [ -s "$work/cds.jsa" ] \
            && cp "$work/cds.jsa" "$dir/cds.jsa.tmp"; then
            size=$(wc -c <"$dir/cds.jsa.tmp")
            echo "${size##* }" >"$dir/cds.jsa.size"
            mv "$dir/cds.jsa.tmp" "$dir/cds.jsa"
        else
            echo "cds-archive: training run failed, the tool will start without a CDS archive:" >&2
            cat "$work/training.log" >&2
            rm -f "$dir/cds.jsa.tmp" "$dir/cds.jsa.size"
        fi
    fi
    [ -n "$java" ] || return 0
    (unset CUMULUS_JAVA CUMULUS_NO_CDS; CUMULUS_AOT_OUTPUT=$dir/aot.cache.tmp limited "$training" "$work/aot$provider" $provider) \
        >"$work/aot-training.log" 2>&1
    status=$?
    # (a provider's cache only from a training call that went through: it is all that call's classes)
    if [ -s "$dir/aot.cache.tmp" ] && { [ -z "$provider" ] || [ "$status" = 0 ]; }; then
        mv "$dir/aot.cache.tmp" "$dir/aot.cache"
    elif [ "$status" = 0 ] && [ -n "$provider" ] && [ ! -s "$work/aot-training.log" ]; then
        rm -f "$dir/aot.cache.tmp"
    else
        if [ -n "$provider" ]; then
            echo "cds-archive: no AOT cache made for $provider calls, which will start from the tool's cache:" >&2
        else
            echo "cds-archive: no AOT cache made with $java, the tool will start on the default Java:" >&2
        fi
        cat "$work/aot-training.log" >&2
        rm -f "$dir/aot.cache.tmp"
        [ -n "$provider" ] || rm -f "$dir/aot.java"
    fi
}

[ -z "$java" ] || echo "$java" >"$tool_dir/lib/aot.java"
train "$tool_dir/lib"
[ -f "$tool_dir/lib/aot.java" ] || java=
# An Azure or GCS call has lib/azure/ or lib/gcs/ on its class path (launcher.sh), and its cache beside those jars.
if [ -d "$tool_dir/lib/azure" ] && [ -n "$fake_azure" ]; then
    train "$tool_dir/lib/azure" azure
fi
if [ -d "$tool_dir/lib/gcs" ] && [ -n "$fake_gcs" ]; then
    train "$tool_dir/lib/gcs" gcs
fi
exit 0
