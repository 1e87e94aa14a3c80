#!/bin/sh
# install.sh PREFIX: installs the Cumulus build this script belongs to (the dist/ directory above its
# support/) as PREFIX (e.g. /opt/cumulus), on a live host, without disturbing what runs from an earlier
# installation there. See docs/installing.md#upgrading.
#
#   PREFIX/releases/RELEASE/   a complete copy of the build (RELEASE: its version and the time of install)
#   PREFIX/bin/cumulus-*       symbolic links into it, each replaced by a rename: a call PostgreSQL starts
#                              finds the old launcher or the new one, whole, never a file being written
#   PREFIX/current             a symbolic link to the release in use (PREFIX/current/support/...)
#
# The files of earlier releases are never written to: an --async uploader, a prefetch worker or a backup
# started from one keeps running from it (a copy over a live installation rewrote the start-up cache that
# every running JVM maps, and they crashed; a launcher being rewritten ran as an empty script, exit 0).
# An installation made by copying dist/ to PREFIX (cp -a dist /opt/cumulus) is taken over the same way: its
# bin/ links are replaced, its tool directories left as they are, for their running processes.
#
# Exit codes: 0 installed; 2 bad usage; 1 a step failed (named; PREFIX/bin is switched only once the new
# release is complete, so a failure before that leaves the installation as it was).
set -eu

usage() {
    echo "usage: $0 PREFIX   (an absolute path, e.g. /opt/cumulus)" >&2
    exit 2
}
[ $# -eq 1 ] || usage
prefix=$1
case $prefix in
/*) ;;
*) usage ;;
esac
prefix=${prefix%/}
[ -n "$prefix" ] || usage

build=$(readlink -f "$0")
build=${build%/*/*}
if [ ! -d "$build/bin" ] || ! ls "$build"/cli-*/bin >/dev/null 2>&1; then
    echo "install.sh: $build is not a Cumulus build (no bin/ and cli-*/bin/); run the support/install.sh of a dist/ directory" >&2
    exit 1
fi
case $prefix/ in
"$build"/*)
    echo "install.sh: $prefix is inside the build $build; give a directory elsewhere" >&2
    exit 2
    ;;
esac

fail() {
    echo "install.sh: $1" >&2
    exit 1
}

# The version from the name of the tools' own library jar (no Java needed), then the time: every install
# is a new directory.
version=
for jar in "$build"/cli-wal-archive/lib/cli-common-*.jar; do
    [ -f "$jar" ] && version=${jar##*/cli-common-} && version=${version%.jar}
done
releases=$prefix/releases
mkdir -p "$releases" "$prefix/bin" || fail "cannot create $releases and $prefix/bin; run as a user who may write in $prefix"
release=${version:-cumulus}-$(date -u +%Y%m%dT%H%M%SZ)
n=1
while [ -e "$releases/$release" ] || [ -e "$releases/.$release.partial" ]; do
    n=$((n + 1))
    release=${release%-[0-9]}-$n
done

[ -w "$releases" ] && [ -w "$prefix/bin" ] || fail "cannot write in $releases and $prefix/bin: run it as their owner"
# Copied under a hidden name and renamed once complete: a release directory is always whole.
staging=$releases/.$release.partial
rm -rf "$staging"
cp -a "$build/." "$staging" || {
    rm -rf "$staging"
    fail "copying $build to $releases failed (free space in $releases?); nothing was switched"
}
mv "$staging" "$releases/$release"
# A Java 17 class-data-sharing archive maps only at the path it was made at: without a Java 25 cache
# (lib/aot.cache), remake it at the release's path, before any link points there (docs/installing.md#start-up).
for tool in "$releases/$release"/cli-*; do
    if [ -x "$tool/bin/cds-training" ] && [ ! -f "$tool/lib/aot.cache" ]; then
        echo "install.sh: building $(basename "$tool")'s start-up archive at its new path" >&2
        sh "$releases/$release/support/cds-archive.sh" "$tool" >&2 || true
    fi
done

# Each launcher link is replaced by a rename, one at a time: a call sees the old launcher or the new.
for launcher in "$releases/$release"/bin/cumulus-*; do
    name=${launcher##*/}
    ln -s "../releases/$release/bin/$name" "$prefix/bin/.$name.new"
    mv -T "$prefix/bin/.$name.new" "$prefix/bin/$name" || fail "cannot replace $prefix/bin/$name"
done
if [ -L "$prefix/current" ] || [ ! -e "$prefix/current" ]; then
    ln -s "releases/$release" "$prefix/.current.new"
    mv -T "$prefix/.current.new" "$prefix/current"
fi

echo "installed $release: $prefix/bin runs it from $releases/$release"
others=$(ls -d "$releases"/*/ "$prefix"/cli-*/ 2>/dev/null | grep -v "/$release/\$" || true)
if [ -n "$others" ]; then
    echo "earlier installations, from which processes started before now may still run (an --async uploader,"
    echo "a prefetch worker, a backup): remove each once none does (pgrep -af DIR prints nothing) and no"
    echo "archive_command or restore_command names it (SHOW them in each cluster: cumulus-restore writes the"
    echo "path it was called by):"
    echo "$others" | sed 's|/$||; s|^|  |'
fi
