#!/bin/sh
# Gathers every packaged tool (cli-*/target/tool) under ROOT/dist/<module>/, links each launcher
# into ROOT/dist/bin/ so one directory on PATH gives the whole toolkit, and builds each tool's
# class-data-sharing archive there: a JDK 17 archive only maps when the jars are at the paths they
# had when it was dumped, so it must be made where the tool will run.
set -eu
root=$1
rm -rf "$root/dist"
mkdir -p "$root/dist/bin"
for tool in "$root"/cli-*/target/tool; do
    module=$(basename "$(dirname "$(dirname "$tool")")")
    cp -a "$tool" "$root/dist/$module"
    for launcher in "$root/dist/$module/bin"/cumulus-*; do
        ln -s "../$module/bin/$(basename "$launcher")" "$root/dist/bin/$(basename "$launcher")"
    done
    sh "$root/build-support/cds-archive.sh" "$root/dist/$module"
done
