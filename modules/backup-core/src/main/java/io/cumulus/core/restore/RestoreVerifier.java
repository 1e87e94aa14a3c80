package io.cumulus.core.restore;

import io.cumulus.core.OperationFailedException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

/**
 * Checks each restored file against the backup's manifest while it is written: its size and its
 * checksum, computed over the bytes as they go to disk; and, at the end, that every file of the
 * manifest was restored. Thread-safe: archives are extracted in parallel.
 */
final class RestoreVerifier {

    /** The checksum of one file being written. */
    interface Running {
        void update(byte[] bytes, int offset, int length);

        /**
         * Checks the file's size and checksum.
         *
         * @throws OperationFailedException naming the file when either differs from the manifest
         */
        void finish(long size) throws OperationFailedException;
    }

    private static final Running NOTHING = new Running() {
        @Override
        public void update(byte[] bytes, int offset, int length) {
        }

        @Override
        public void finish(long size) {
        }
    };

    private final BackupManifest manifest;
    private final Set<String> restored = ConcurrentHashMap.newKeySet();

    /** @param manifest the backup's manifest, or null when it has none (nothing is checked) */
    RestoreVerifier(BackupManifest manifest) {
        this.manifest = manifest;
    }

    boolean verifying() {
        return manifest != null;
    }

    /**
     * Starts checking the file at {@code path} (relative to the data directory, tablespace files under
     * {@code pg_tblspc/<oid>/}).
     *
     * @throws OperationFailedException when the manifest does not list the file
     */
    Running start(String path) throws OperationFailedException {
        if (manifest == null) {
            return NOTHING;
        }
        BackupManifest.File expected = manifest.files().get(path);
        if (expected == null) {
            throw new OperationFailedException("verification failed: " + path
                    + " is in the archives but not in the backup manifest");
        }
        if (!restored.add(path)) {
            throw new OperationFailedException("verification failed: " + path + " is twice in the archives");
        }
        Checksum checksum = Checksum.of(expected.algorithm());
        return new Running() {
            @Override
            public void update(byte[] bytes, int offset, int length) {
                checksum.update(bytes, offset, length);
            }

            @Override
            public void finish(long size) throws OperationFailedException {
                if (size != expected.size()) {
                    throw new OperationFailedException("verification failed: " + path + " has " + size
                            + " bytes, the backup manifest says " + expected.size());
                }
                String actual = checksum.hex();
                if (actual != null && !actual.equals(expected.checksum())) {
                    throw new OperationFailedException("verification failed: " + path + " has "
                            + expected.algorithm() + " " + actual + ", the backup manifest says "
                            + expected.checksum());
                }
            }
        };
    }

    /** @throws OperationFailedException naming the files of the manifest no archive held */
    void checkComplete() throws OperationFailedException {
        if (manifest == null) {
            return;
        }
        List<String> missing = new ArrayList<>();
        for (String path : manifest.files().keySet()) {
            if (!restored.contains(path)) {
                missing.add(path);
            }
        }
        if (!missing.isEmpty()) {
            throw new OperationFailedException("verification failed: " + missing.size()
                    + " file(s) of the backup manifest are missing from the archives: "
                    + String.join(", ", missing.subList(0, Math.min(10, missing.size())))
                    + (missing.size() > 10 ? ", ..." : ""));
        }
    }

    /** The manifest's checksum algorithms, hex-encoded as PostgreSQL writes them. */
    private interface Checksum {
        void update(byte[] bytes, int offset, int length);

        /** The hex checksum, or null for {@code NONE}. */
        String hex();

        static Checksum of(String algorithm) throws OperationFailedException {
            return switch (algorithm) {
                case "NONE" -> new Checksum() {
                    @Override
                    public void update(byte[] bytes, int offset, int length) {
                    }

                    @Override
                    public String hex() {
                        return null;
                    }
                };
                case "CRC32C" -> new Checksum() {
                    private final CRC32C crc = new CRC32C();

                    @Override
                    public void update(byte[] bytes, int offset, int length) {
                        crc.update(bytes, offset, length);
                    }

                    /** PostgreSQL writes the uint32 as it lies in memory: little-endian. */
                    @Override
                    public String hex() {
                        long v = crc.getValue();
                        return HexFormat.of().formatHex(new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16),
                                (byte) (v >>> 24)});
                    }
                };
                case "SHA224", "SHA256", "SHA384", "SHA512" -> {
                    MessageDigest digest;
                    try {
                        digest = MessageDigest.getInstance("SHA-" + algorithm.substring(3));
                    } catch (NoSuchAlgorithmException e) {
                        throw new IllegalStateException("every JVM has " + algorithm, e);
                    }
                    yield new Checksum() {
                        @Override
                        public void update(byte[] bytes, int offset, int length) {
                            digest.update(bytes, offset, length);
                        }

                        @Override
                        public String hex() {
                            return HexFormat.of().formatHex(digest.digest());
                        }
                    };
                }
                default -> throw new OperationFailedException("the backup manifest uses the unknown checksum"
                        + " algorithm " + algorithm);
            };
        }
    }
}
