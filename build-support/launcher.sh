# Sourced by every Cumulus launcher in bin/ after it sets CUMULUS_MAIN (the class to run) and,
# optionally, CUMULUS_JVM_FLAGS. Starts the JVM the tool's jar needs, with flags for a process that
# lives for one command: serial GC, a bounded heap, and the class-data-sharing archive built when
# the tool was packaged (ignored by a JVM that cannot use it).
cumulus_tool_dir=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
# Lets a tool start another process of itself (the --async uploader) with the same JVM set-up.
CUMULUS_LAUNCHER=$(readlink -f "$0")
export CUMULUS_LAUNCHER
if [ -n "${CUMULUS_JAVA:-}" ]; then
    cumulus_java=$CUMULUS_JAVA
elif [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    cumulus_java=$JAVA_HOME/bin/java
else
    cumulus_java=java
fi
# The tool's own jar, at the top of its directory; its manifest Class-Path lists lib/*.jar.
for cumulus_jar in "$cumulus_tool_dir"/*.jar; do :; done
cumulus_cds=
if [ -f "$cumulus_tool_dir/lib/cds.jsa" ] && [ -z "${CUMULUS_NO_CDS:-}" ]; then
    cumulus_cds="-XX:SharedArchiveFile=$cumulus_tool_dir/lib/cds.jsa -Xlog:cds=off -Xlog:cds+dynamic=off"
fi
# shellcheck disable=SC2086 # flag lists are meant to split
exec "$cumulus_java" -XX:+UseSerialGC -Xss1m ${CUMULUS_JVM_FLAGS:--XX:TieredStopAtLevel=1 -Xmx256m} \
    $cumulus_cds ${CUMULUS_JAVA_OPTS:-} \
    -cp "$cumulus_jar" "$CUMULUS_MAIN" "$@"
