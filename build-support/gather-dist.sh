#!/bin/sh
# Gathers every packaged tool (cli-*/target/tool) under ROOT/dist/<module>/, links each launcher
# into ROOT/dist/bin/ so one directory on PATH gives the whole toolkit, and builds each tool's
# class-data-sharing archive there: a JDK 17 archive only maps when the jars are at the paths they
# had when it was dumped, so it must be made where the tool will run.
# Each provider whose SDK loads on demand (modules/cli-*/target/provider/NAME: Azure, GCS) goes to
# every tool's lib/NAME/, off the class path, without the jars the tool's lib/ already has (its class
# loader asks the tool's first, so those would never be read).
set -eu
root=$1
rm -rf "$root/dist"
mkdir -p "$root/dist/bin" "$root/dist/support"
# The script that builds a tool's start-up archive and cache, for a site that installs a tool elsewhere: a
# Java 17 archive only maps at the path it was made at (docs/installing.md).
cp "$root/build-support/cds-archive.sh" "$root/build-support/fake-s3.py" "$root/dist/support/"
for tool in "$root"/cli-*/target/tool; do
    module=$(basename "$(dirname "$(dirname "$tool")")")
    cp -a "$tool" "$root/dist/$module"
    for provider in "$root"/modules/cli-*/target/provider/*; do
        [ -d "$provider" ] || continue
        mkdir -p "$root/dist/$module/lib/$(basename "$provider")"
        for jar in "$provider"/*.jar; do
            [ -e "$root/dist/$module/lib/$(basename "$jar")" ] || cp "$jar" "$root/dist/$module/lib/$(basename "$provider")/"
        done
    done
    for launcher in "$root/dist/$module/bin"/cumulus-*; do
        ln -s "../$module/bin/$(basename "$launcher")" "$root/dist/bin/$(basename "$launcher")"
    done
    sh "$root/build-support/cds-archive.sh" "$root/dist/$module"
done
