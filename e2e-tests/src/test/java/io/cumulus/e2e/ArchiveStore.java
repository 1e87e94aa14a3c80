package io.cumulus.e2e;

import io.cumulus.testsupport.Command;
import io.cumulus.testsupport.Tools;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A place the WAL tools archive to, as a test sees it: the URL, options and environment every tool
 * call needs, and a way to look inside that does not go through Cumulus.
 */
interface ArchiveStore extends AutoCloseable {

    /** The DESTINATION_URL / SOURCE_URL the tools take. */
    String url();

    /** Options every tool call needs, e.g. {@code --endpoint-url}. */
    List<String> toolOptions();

    /** Environment every tool call needs, e.g. credentials. */
    Map<String, String> toolEnv();

    /** Keys, relative to {@link #url()}, of every object whose relative key starts with {@code prefix}; sorted. */
    List<String> keys(String prefix);

    /** The bytes of the object at {@code key} (relative to {@link #url()}), or empty if absent. */
    Optional<byte[]> read(String key);

    @Override
    void close();

    /** {@code cumulus-wal-archive [options] URL SERVER WAL_PATH}. */
    default Command walArchive(String server, Path walPath, String... options) {
        return Tools.command("cumulus-wal-archive", options).args(toolOptions()).env(toolEnv())
                .args(url(), server, walPath.toString());
    }

    /** {@code cumulus-wal-restore [options] URL SERVER WAL_NAME WAL_DEST}. */
    default Command walRestore(String server, String walName, Path destination, String... options) {
        return Tools.command("cumulus-wal-restore", options).args(toolOptions()).env(toolEnv())
                .args(url(), server, walName, destination.toString());
    }

    /** An archive_command archiving into this store, as a user would write it. */
    default String archiveCommand(String server, String... options) {
        return Tools.command("cumulus-wal-archive", options).args(toolOptions()).env(toolEnv())
                .args(url(), server).toShellLine() + " %p";
    }

    /** A restore_command restoring from this store, as a user would write it. */
    default String restoreCommand(String server, String... options) {
        return Tools.command("cumulus-wal-restore", options).args(toolOptions()).env(toolEnv())
                .args(url(), server).toShellLine() + " %f %p";
    }
}
