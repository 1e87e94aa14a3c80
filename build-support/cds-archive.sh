#!/bin/sh
# Builds the class-data-sharing archive of one packaged tool (TOOL_DIR/lib/cds.jsa) by running the
# tool's training script (TOOL_DIR/bin/cds-training, if any) under -XX:ArchiveClassesAtExit. When
# python3 is there, a throwaway in-memory S3 endpoint (fake-s3.py) lets the training call go through
# the S3 provider, whose classes are most of what a call loads. A JVM that cannot dump an archive
# only costs the tool its fast start, never the build.
set -u
tool_dir=$1
training=$tool_dir/bin/cds-training
[ -x "$training" ] || exit 0
rm -f "$tool_dir/lib/cds.jsa"
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
CUMULUS_NO_CDS=1 CUMULUS_JAVA_OPTS="-XX:ArchiveClassesAtExit=$tool_dir/lib/cds.jsa -Xlog:cds=off -Xlog:cds+dynamic=off" \
    "$training" "$work" >"$work/training.log" 2>&1 || {
    echo "cds-archive: training run failed, the tool will start without a CDS archive:" >&2
    cat "$work/training.log" >&2
    rm -f "$tool_dir/lib/cds.jsa"
}
exit 0
