#!/bin/sh
# Builds what lets one packaged tool start fast, by running the tool's training script
# (TOOL_DIR/bin/cds-training, if any) once per runtime:
# - TOOL_DIR/lib/cds.jsa, a class-data-sharing archive for the default Java (-XX:ArchiveClassesAtExit);
# - when a Java 25 or newer is on this machine (CUMULUS_AOT_JAVA, else JAVA_HOME, PATH or
#   /usr/lib/jvm; CUMULUS_AOT_JAVA=none skips it): TOOL_DIR/lib/aot.cache, that runtime's
#   ahead-of-time cache (-XX:AOTCacheOutput), and TOOL_DIR/lib/aot.java, the runtime's path, which
#   the launcher then prefers.
# When python3 is there, a throwaway in-memory S3 endpoint (fake-s3.py) lets the training call go
# through the S3 provider, whose classes are most of what a call loads. A JVM that cannot dump an
# archive only costs the tool its fast start, never the build.
set -u
tool_dir=$1
training=$tool_dir/bin/cds-training
[ -x "$training" ] || exit 0
rm -f "$tool_dir/lib/cds.jsa" "$tool_dir/lib/cds.jsa.size" "$tool_dir/lib/aot.cache" "$tool_dir/lib/aot.java"
# Each file is written under a temporary name and renamed into place once complete: a Java 17 that maps
# an archive cut short crashes (SIGBUS) on every call. The launcher compares the archive with the size
# recorded in lib/cds.jsa.size, which catches a copy cut short after packaging.
work=$(mktemp -d)
fake_s3=
cleanup() {
    [ -n "$fake_s3" ] && kill "$fake_s3" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
if command -v python3 >/dev/null 2>&1; then
    python3 "$(dirname "$0")/fake-s3.py" >"$work/port" 2>/dev/null &
    fake_s3=$!
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        [ -s "$work/port" ] && break
        sleep 0.5
    done
    [ -s "$work/port" ] && CUMULUS_TRAINING_S3_ENDPOINT=http://127.0.0.1:$(cat "$work/port") && export CUMULUS_TRAINING_S3_ENDPOINT
fi
# The training calls take credentials and region from the AWS files, as most sites give them, so that
# the SDK's parser of those files is trained too; nothing of the build's own AWS set-up reaches them.
printf '[default]\naws_access_key_id = training\naws_secret_access_key = training\n' >"$work/aws-credentials"
printf '[default]\nregion = us-east-1\n' >"$work/aws-config"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION
AWS_SHARED_CREDENTIALS_FILE=$work/aws-credentials AWS_CONFIG_FILE=$work/aws-config
export AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE

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

if CUMULUS_NO_CDS=1 CUMULUS_JAVA_OPTS="-XX:ArchiveClassesAtExit=$tool_dir/lib/cds.jsa.tmp -Xlog:cds=off -Xlog:cds+dynamic=off" \
    "$training" "$work/cds" >"$work/training.log" 2>&1 && [ -s "$tool_dir/lib/cds.jsa.tmp" ]; then
    size=$(wc -c <"$tool_dir/lib/cds.jsa.tmp")
    echo "${size##* }" >"$tool_dir/lib/cds.jsa.size"
    mv "$tool_dir/lib/cds.jsa.tmp" "$tool_dir/lib/cds.jsa"
else
    echo "cds-archive: training run failed, the tool will start without a CDS archive:" >&2
    cat "$work/training.log" >&2
    rm -f "$tool_dir/lib/cds.jsa.tmp" "$tool_dir/lib/cds.jsa.size"
fi

java=$(aot_java)
if [ -n "$java" ]; then
    echo "$java" >"$tool_dir/lib/aot.java"
    (unset CUMULUS_JAVA CUMULUS_NO_CDS; CUMULUS_AOT_OUTPUT=$tool_dir/lib/aot.cache.tmp "$training" "$work/aot") \
        >"$work/aot-training.log" 2>&1
    if [ -s "$tool_dir/lib/aot.cache.tmp" ]; then
        mv "$tool_dir/lib/aot.cache.tmp" "$tool_dir/lib/aot.cache"
    else
        echo "cds-archive: no AOT cache made with $java, the tool will start on the default Java:" >&2
        cat "$work/aot-training.log" >&2
        rm -f "$tool_dir/lib/aot.cache.tmp" "$tool_dir/lib/aot.java"
    fi
fi
exit 0
