package io.cumulus.core.restore;

import io.cumulus.core.OperationFailedException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
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
        /**
         * Whether the manifest lists the path more than once, so this copy may be replaced by a later
         * one: the caller keeps it aside until {@link #finish} says.
         */
        default boolean listedMoreThanOnce() {
            return false;
        }

        void update(byte[] bytes, int offset, int length);

        /**
         * Checks the file's size and checksum.
         *
         * @return whether this copy is the one the restore leaves at the path: always, unless the
         *     manifest lists the path more than once and this copy matches a listing before the last
         * @throws OperationFailedException naming the file when either differs from the manifest
         */
        boolean finish(long size) throws OperationFailedException;
    }

    private static final Running NOTHING = new Running() {
        @Override
        public void update(byte[] bytes, int offset, int length) {
        }

        @Override
        public boolean finish(long size) {
            return true;
        }
    };

    private final BackupManifest manifest;
    private final Set<String> restored = ConcurrentHashMap.newKeySet();
    /** For a path listed more than once: which listings a copy has matched, by index. */
    private final Map<String, boolean[]> matchedListings = new ConcurrentHashMap<>();

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
        List<BackupManifest.File> listings = manifest.files().get(path);
        if (listings == null) {
            throw new OperationFailedException("verification failed: " + path
                    + " is in the archives but not in the backup manifest");
        }
        if (listings.size() > 1) {
            return matchingOneOf(path, listings);
        }
        if (!restored.add(path)) {
            throw new OperationFailedException("verification failed: " + path + " is twice in the archives");
        }
        BackupManifest.File expected = listings.get(0);
        Checksum checksum = Checksum.of(expected.algorithm());
        return new Running() {
            @Override
            public void update(byte[] bytes, int offset, int length) {
                checksum.update(bytes, offset, length);
            }

            @Override
            public boolean finish(long size) throws OperationFailedException {
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
                return true;
            }
        };
    }

    /**
     * A copy of a path the manifest lists several times, in the order the backup wrote the copies:
     * it must match a listing no other copy matched, the earliest such (so that with equal copies the
     * archive order decides, as extraction in order would); only the copy matching the last listing
     * is kept, so the file restored is the one the archives hold last whatever order parts finish in.
     */
    private Running matchingOneOf(String path, List<BackupManifest.File> listings) throws OperationFailedException {
        boolean[] matched = matchedListings.computeIfAbsent(path, p -> new boolean[listings.size()]);
        List<Checksum> checksums = new ArrayList<>();
        for (BackupManifest.File listing : listings) {
            checksums.add(Checksum.of(listing.algorithm()));
        }
        return new Running() {
            @Override
            public boolean listedMoreThanOnce() {
                return true;
            }

            @Override
            public void update(byte[] bytes, int offset, int length) {
                checksums.forEach(checksum -> checksum.update(bytes, offset, length));
            }

            @Override
            public boolean finish(long size) throws OperationFailedException {
                List<String> hex = checksums.stream().map(Checksum::hex).toList();
                synchronized (matched) {
                    for (int i = 0; i < listings.size(); i++) {
                        BackupManifest.File listing = listings.get(i);
                        if (!matched[i] && size == listing.size()
                                && (hex.get(i) == null || hex.get(i).equals(listing.checksum()))) {
                            matched[i] = true;
                            return i == listings.size() - 1;
                        }
                    }
                }
                throw new OperationFailedException("verification failed: " + path + " has " + size
                        + " bytes and " + listings.get(0).algorithm() + " " + hex.get(0) + ", which matches none of"
                        + " the backup manifest's " + listings.size() + " listings of it not matched yet");
            }
        };
    }

    /** @throws OperationFailedException naming the files of the manifest no archive held */
    void checkComplete() throws OperationFailedException {
        if (manifest == null) {
            return;
        }
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, List<BackupManifest.File>> file : manifest.files().entrySet()) {
            String path = file.getKey();
            boolean complete;
            if (file.getValue().size() > 1) {
                boolean[] matched = matchedListings.get(path);
                complete = matched != null;
                if (matched != null) {
                    synchronized (matched) {
                        for (boolean one : matched) {
                            complete &= one;
                        }
                    }
                }
            } else {
                complete = restored.contains(path);
            }
            if (!complete) {
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
