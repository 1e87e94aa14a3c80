package io.cumulus.postgres;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/**
 * The per-file checksums a PostgreSQL backup_manifest can carry and pg_verifybackup checks, under
 * the names the manifest uses ({@code pg_basebackup --manifest-checksums}). CRC32C is PostgreSQL's
 * default and by far the cheapest; the SHA-2 family also catches deliberate tampering of a file
 * (though not of file and manifest together).
 */
public enum ChecksumAlgorithm {
    CRC32C(null), SHA224("SHA-224"), SHA256("SHA-256"), SHA384("SHA-384"), SHA512("SHA-512");

    private final String jcaName;

    ChecksumAlgorithm(String jcaName) {
        this.jcaName = jcaName;
    }

    /** The name in backup_manifest's Checksum-Algorithm field. */
    public String manifestName() {
        return name();
    }

    /** A fresh running checksum. */
    Running start() {
        if (jcaName == null) {
            return new RunningCrc32c();
        }
        try {
            return new RunningDigest(MessageDigest.getInstance(jcaName));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has " + jcaName, e);
        }
    }

    /** A checksum being computed over a stream of bytes. */
    interface Running {
        void update(byte[] bytes, int offset, int length);

        /** The checksum as backup_manifest writes it: lower-case hex of its bytes. */
        String finishHex();
    }

    private static final class RunningDigest implements Running {
        private final MessageDigest digest;

        RunningDigest(MessageDigest digest) {
            this.digest = digest;
        }

        @Override
        public void update(byte[] bytes, int offset, int length) {
            digest.update(bytes, offset, length);
        }

        @Override
        public String finishHex() {
            return HexFormat.of().formatHex(digest.digest());
        }
    }

    private static final class RunningCrc32c implements Running {
        private final CRC32C crc = new CRC32C();

        @Override
        public void update(byte[] bytes, int offset, int length) {
            crc.update(bytes, offset, length);
        }

        /**
         * PostgreSQL hex-encodes the uint32 as it lies in memory, so on the little-endian machines it
         * runs on (x86-64, AArch64) the least significant byte comes first.
         */
        @Override
        public String finishHex() {
            long value = crc.getValue();
            byte[] littleEndian = {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16), (byte) (value >>> 24)};
            return HexFormat.of().formatHex(littleEndian);
        }
    }
}
