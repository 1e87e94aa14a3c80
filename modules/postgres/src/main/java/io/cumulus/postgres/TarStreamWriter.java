package io.cumulus.postgres;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes one archive part of a backup as an uncompressed tar stream, the way barman-cloud-backup's
 * Python tarfile writes it (reference §4.3): PAX format (long names, non-ASCII names, big numbers and
 * fractional mtimes in PAX headers), 512-byte blocks, end-of-archive blocks and padding to a
 * 10240-byte record on {@link #finish()}, so Python reads it in streaming mode ({@code 'r|*'}).
 *
 * <p>A file's size is fixed when its header is written, from the walk's stat: a file that shrinks
 * while it is read is padded with zeros to that size, one that grows is cut at it, and one that is
 * gone when opened is skipped (barman's TarFileIgnoringTruncate); WAL replay repairs all three.
 * The checksum of exactly the bytes stored is computed on the way, for the backup_manifest.
 *
 * <p>{@link #bytesWritten()} counts the tar bytes produced so far, so a caller can close a part and
 * start the next one (each part a complete tar stream) once {@code -S/--max-archive-size} is passed.
 * Not thread-safe: one thread writes one archive.
 */
public final class TarStreamWriter implements Closeable {

    /** Python tarfile's record size: a closed archive's length is a multiple of it. */
    public static final int RECORD_SIZE = 10240;

    /** The member name barman gives backup_label. */
    public static final String BACKUP_LABEL = "backup_label";

    private static final int BUFFER_SIZE = 64 * 1024;

    private final TarArchiveOutputStream tar;
    /** Between the tar writer and the caller's stream; flushed by hand, as the tar writer does not. */
    private final BufferedOutputStream buffered;
    private final ChecksumAlgorithm algorithm;
    private final byte[] buffer = new byte[BUFFER_SIZE];
    private boolean finished;

    /**
     * @param out where the tar goes (typically a compressor or an upload); closed by {@link #close()}
     * @param algorithm the checksum computed for every regular file
     */
    public TarStreamWriter(OutputStream out, ChecksumAlgorithm algorithm) {
        this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
        // tar writes in 512-byte blocks: buffer them into larger writes
        this.buffered = new BufferedOutputStream(out, BUFFER_SIZE);
        this.tar = new TarArchiveOutputStream(buffered, RECORD_SIZE,
                StandardCharsets.UTF_8.name());
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
    }

    /**
     * Adds one entry of a walk.
     *
     * @return the stored file's size and checksum for a regular file; empty for a directory or
     *         symbolic link, and for a file that vanished before it could be opened (nothing is written)
     */
    public Optional<WrittenFile> write(PgDataEntry entry) throws IOException {
        checkOpen();
        TarArchiveEntry header = header(entry.name(), linkFlag(entry.kind()), entry.mode(), entry.modified(),
                entry.uid(), entry.gid(), entry.userName(), entry.groupName());
        if (entry.kind() == PgDataEntry.Kind.SYMLINK) {
            header.setLinkName(entry.linkTarget());
        }
        if (entry.kind() != PgDataEntry.Kind.FILE) {
            tar.putArchiveEntry(header);
            tar.closeArchiveEntry();
            return Optional.empty();
        }
        InputStream in;
        try {
            in = Files.newInputStream(entry.source(), LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException vanished) {
            return Optional.empty();
        }
        try (in) {
            header.setSize(entry.size());
            tar.putArchiveEntry(header);
            ChecksumAlgorithm.Running checksum = algorithm.start();
            long remaining = entry.size();
            while (remaining > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
                if (n < 0) {
                    break;
                }
                tar.write(buffer, 0, n);
                checksum.update(buffer, 0, n);
                remaining -= n;
            }
            if (remaining > 0) {
                // the file shrank while we read it: pad to the size the header promised
                byte[] zeros = new byte[(int) Math.min(BUFFER_SIZE, remaining)];
                while (remaining > 0) {
                    int n = (int) Math.min(zeros.length, remaining);
                    tar.write(zeros, 0, n);
                    checksum.update(zeros, 0, n);
                    remaining -= n;
                }
            }
            tar.closeArchiveEntry();
            return Optional.of(new WrittenFile(entry.name(), entry.relativePath(), entry.size(), entry.modified(),
                    algorithm, checksum.finishHex()));
        }
    }

    /**
     * Adds a regular file whose content is in memory.
     *
     * @param relativePath the path in a restored data directory
     */
    public WrittenFile writeBytes(String name, String relativePath, byte[] content, int mode, FileTime modified,
            int uid, int gid, String userName, String groupName) throws IOException {
        checkOpen();
        TarArchiveEntry header = header(name, TarConstants.LF_NORMAL, mode, modified, uid, gid, userName, groupName);
        header.setSize(content.length);
        tar.putArchiveEntry(header);
        tar.write(content);
        tar.closeArchiveEntry();
        ChecksumAlgorithm.Running checksum = algorithm.start();
        checksum.update(content, 0, content.length);
        return new WrittenFile(name, relativePath, content.length, modified, algorithm, checksum.finishHex());
    }

    /**
     * Adds backup_label as barman does after pg_backup_stop: member {@value #BACKUP_LABEL}, UTF-8,
     * mode 0644. Owner and group are the data directory's (barman means to do the same but sets uid 0
     * by mistake). Its modification time is when the backup stopped (in whole seconds), the time the file would have had
     * had PostgreSQL written it; barman leaves Python's default, 0, so a restored backup_label is dated
     * 1970-01-01.
     *
     * @param dataDirectoryRoot the data directory's entry, e.g. {@link PgDataWalker#dataDirectoryRoot()}
     * @param stopped when the backup stopped (backup.info's end_time)
     */
    public WrittenFile writeBackupLabel(String backupLabel, PgDataEntry dataDirectoryRoot, Instant stopped)
            throws IOException {
        return writeBytes(BACKUP_LABEL, BACKUP_LABEL, backupLabel.getBytes(StandardCharsets.UTF_8), 0644,
                FileTime.from(stopped.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)), dataDirectoryRoot.uid(),
                dataDirectoryRoot.gid(),
                dataDirectoryRoot.userName(), dataDirectoryRoot.groupName());
    }

    /** The tar bytes produced so far, headers and padding included; after {@link #finish()} the total. */
    public long bytesWritten() {
        return tar.getBytesWritten();
    }

    /**
     * Ends the archive (two zero blocks, padding to {@value #RECORD_SIZE} bytes) and flushes it,
     * leaving the underlying stream open.
     */
    public void finish() throws IOException {
        if (!finished) {
            finished = true;
            tar.finish();
            // TarArchiveOutputStream's flush stops at its block writer (commons-compress 1.28), so
            // without this the end of the archive would stay in our buffer until close
            tar.flush();
            buffered.flush();
        }
    }

    /** Ends the archive if needed and closes the underlying stream. */
    @Override
    public void close() throws IOException {
        finish();
        tar.close();
    }

    private void checkOpen() {
        if (finished) {
            throw new IllegalStateException("the archive is finished");
        }
    }

    private static byte linkFlag(PgDataEntry.Kind kind) {
        return switch (kind) {
            case DIRECTORY -> TarConstants.LF_DIR;
            case FILE -> TarConstants.LF_NORMAL;
            case SYMLINK -> TarConstants.LF_SYMLINK;
        };
    }

    private static TarArchiveEntry header(String name, byte linkFlag, int mode, FileTime modified, int uid, int gid,
            String userName, String groupName) {
        TarArchiveEntry header = new TarArchiveEntry(name, linkFlag);
        header.setMode(mode);
        header.setLastModifiedTime(modified);
        header.setUserId(uid);
        header.setGroupId(gid);
        header.setUserName(userName);
        header.setGroupName(groupName);
        return header;
    }
}
