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
cp "$root/build-support/cds-archive.sh" "$root/build-support/install.sh" "$root/build-support/fake-s3.py" "$root/build-support/fake-azure.py" "$root/build-support/fake-gcs.py" \
    "$root/dist/support/"
# A class from a signed jar is never put in a class-data-sharing archive or an ahead-of-time cache ("Skipping
# ...: Signed JAR"), and Microsoft signs the Azure SDK's jars: so that an Azure call starts from lib/azure's
# cache (launcher.sh), those jars go into the package without their signature files (Maven checked each
# jar's checksum when it fetched it; nothing at run time checks a jar's signature without a security
# manager). The manifest keeps its main section; the per-entry digests went with the signature.
jar_tool=jar
[ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/jar" ] && jar_tool=$JAVA_HOME/bin/jar
entry_date=2000-01-01T00:00:00Z
[ -n "${SOURCE_DATE_EPOCH:-}" ] && entry_date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
unsign() {
    "$jar_tool" tf "$1" | grep -Eq '^META-INF/[^/]+\.(SF|RSA|DSA|EC)$' || return 0
    unsigned=$(mktemp -d)
    (cd "$unsigned" && "$jar_tool" xf "$1")
    rm -f "$unsigned"/META-INF/*.SF "$unsigned"/META-INF/*.RSA "$unsigned"/META-INF/*.DSA "$unsigned"/META-INF/*.EC
    sed '/^\r\{0,1\}$/q' "$unsigned/META-INF/MANIFEST.MF" >"$unsigned.mf"
    rm "$unsigned/META-INF/MANIFEST.MF"
    # entries dated SOURCE_DATE_EPOCH (else a fixed date), not the build's time: the same jars every build
    "$jar_tool" --create --file "$1.tmp" --manifest "$unsigned.mf" --date="$entry_date" -C "$unsigned" .
    mv "$1.tmp" "$1"
    rm -rf "$unsigned" "$unsigned.mf"
}
for jar in "$root"/modules/cli-*/target/provider/*/*.jar; do
    [ -f "$jar" ] && unsign "$jar"
done
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
    # (cds-archive.sh refuses a directory without a training script, exit 2: such a tool has nothing to build)
    if [ -x "$root/dist/$module/bin/cds-training" ]; then
        sh "$root/build-support/cds-archive.sh" "$root/dist/$module"
    fi
done
