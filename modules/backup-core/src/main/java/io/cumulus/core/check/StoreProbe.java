package io.cumulus.core.check;

import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.WriteOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.util.Arrays;
import java.util.UUID;

/**
 * Proves that the credentials may write, read and delete in a server's part of the store, with one
 * small object under {@value #SCRATCH_DIRECTORY}: a directory of the server's prefix that barman-cloud
 * never lists (it reads only {@code wals/} and {@code base/}, reference §2). The object is removed
 * afterwards whatever happened, and a failed removal is reported. It also finds out whether the store
 * honours create-only writes, on which cumulus-wal-archive's refusal to overwrite and cumulus-backup's
 * id claim rely against a racer: some S3-compatible stores ignore {@code If-None-Match}.
 */
public final class StoreProbe {

    /** The scratch directory under {@code <prefix>/<server>/}. */
    public static final String SCRATCH_DIRECTORY = "cumulus-check/";

    /** The warning of an OK line, when a create-only write replaced the probe object. */
    static final String IGNORES_CREATE_ONLY = "; warning: the store does not honour create-only writes"
            + " (If-None-Match: * on S3; a second, create-only write of the probe replaced it), so two"
            + " cumulus-wal-archive calls racing on one WAL name, or two cumulus-backup runs started in the same"
            + " second, can both succeed, the later overwriting the earlier: give each cluster its own server name"
            + " and start one backup at a time";

    private StoreProbe() {
    }

    /** The key a probe writes: unique, so concurrent checks do not meet. */
    public static String probeKey(ServerLayout layout) {
        return layout.serverPrefix() + SCRATCH_DIRECTORY + "probe-" + UUID.randomUUID();
    }

    /**
     * Writes the probe object, writes it again create-only (as the archiver writes, trusting the store's
     * condition), reads it back and deletes it. A store whose second write succeeds ignores create-only
     * writes: the result is still OK, with a warning, since nothing but another store mends that.
     *
     * @param options how the probe is written: as the backups are (their tags; the encryption is the
     *     store's), so that it passes or fails a bucket policy as their writes do
     * @return the check's result, naming the step that failed
     */
    public static CheckResult run(BlobStore store, String key, WriteOptions options) {
        byte[] content = ("cumulus-check probe; safe to delete\n").getBytes(StandardCharsets.UTF_8);
        String where = store.describeKey(key);
        String step = "write";
        try {
            try (BlobOutputStream out = store.openWrite(key, options)) {
                out.write(content);
            }
            step = "create-only write";
            boolean createOnlyHonoured = false;
            try (BlobOutputStream out = store.openWrite(key, options.withIfAbsent(true).withAbsenceChecked(true))) {
                out.write(content);
            } catch (FileAlreadyExistsException e) {
                createOnlyHonoured = true;
            }
            step = "read";
            byte[] read;
            try (InputStream in = store.openRead(key)) {
                read = in.readAllBytes();
            }
            if (!Arrays.equals(read, content)) {
                return CheckResult.failed("store permissions", "the probe object " + where + " read back different"
                        + " bytes than were written", "check the store or its proxy: it does not return what it stored");
            }
            step = "delete";
            store.delete(key);
            if (store.stat(key).isPresent()) {
                return CheckResult.failed("store permissions", "the probe object " + where
                        + " is still there after its deletion", "allow these credentials to delete objects"
                        + " (s3:DeleteObject), which cumulus-backup-delete needs, and remove the probe object");
            }
            return CheckResult.ok("store permissions", "write, read and delete allowed (probe " + key + ")"
                    + (createOnlyHonoured ? "" : IGNORES_CREATE_ONLY));
        } catch (IOException | RuntimeException e) {
            String cleanup = step.equals("write") ? "" : removeQuietly(store, key, where);
            return CheckResult.failed("store permissions", "cannot " + doing(step, where) + ": " + reason(e)
                    + cleanup, fix(step));
        }
    }

    /** The failure's words; a file system's refusal carries only the path (a store's names its reason). */
    private static String reason(Exception e) {
        if (e instanceof java.nio.file.AccessDeniedException denied && denied.getReason() == null
                && denied.getFile() != null && denied.getFile().startsWith("/")) {
            return "permission denied: " + denied.getFile();
        }
        return e.getMessage();
    }

    private static String removeQuietly(BlobStore store, String key, String where) {
        try {
            store.delete(key);
            return "";
        } catch (IOException | RuntimeException e) {
            return " (and it could not be removed: delete " + where + " by hand)";
        }
    }

    private static String doing(String step, String where) {
        return step.equals("create-only write") ? "write the probe object " + where + " a second time, create-only"
                : step + " the probe object " + where;
    }

    private static String fix(String step) {
        return switch (step) {
            case "write", "create-only write" -> "give these credentials write access to the server's prefix"
                    + " (s3:PutObject; on file:// write permission on the directory): cumulus-wal-archive and"
                    + " cumulus-backup need it";
            case "read" -> "give these credentials read access (s3:GetObject; on file:// read permission):"
                    + " restores need it";
            default -> "give these credentials delete access (s3:DeleteObject; on file:// write permission on the"
                    + " directory): cumulus-backup-delete needs it";
        };
    }
}
