#!/bin/sh
# Builds the class-data-sharing archive of one packaged tool (TOOL_DIR/lib/cds.jsa) by running the
# tool's training script (TOOL_DIR/bin/cds-training, if any) under -XX:ArchiveClassesAtExit.
# A JVM that cannot dump an archive only costs the tool its fast start, never the build.
set -u
tool_dir=$1
training=$tool_dir/bin/cds-training
[ -x "$training" ] || exit 0
rm -f "$tool_dir/lib/cds.jsa"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CUMULUS_NO_CDS=1 CUMULUS_JAVA_OPTS="-XX:ArchiveClassesAtExit=$tool_dir/lib/cds.jsa -Xlog:cds=off -Xlog:cds+dynamic=off" \
    "$training" "$work" >"$work/training.log" 2>&1 || {
    echo "cds-archive: training run failed, the tool will start without a CDS archive:" >&2
    cat "$work/training.log" >&2
    rm -f "$tool_dir/lib/cds.jsa"
}
exit 0
