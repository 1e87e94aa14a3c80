package io.cumulus.storage;

import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * How one object is written.
 *
 * @param ifAbsent fail with {@link java.nio.file.FileAlreadyExistsException} instead of replacing an
 *     existing object (duplicate WAL protection)
 * @param absenceChecked with {@code ifAbsent}: the caller has just listed the key and found no object,
 *     so a provider whose store may ignore conditional writes need not look again before writing
 * @param tags object tags (S3 tagging, Azure blob index tags, GCS metadata), in insertion order
 * @param expectedSize the length when known in advance, so a small object goes up in one request
 * @param plannedSize when the length is not known, what the writer plans it to reach (a backup
 *     archive's {@code -S} and the file that passes it), so that a multipart upload keeps its first
 *     part size up to there ({@link MultipartOutputStream.Settings#plannedSize()})
 */
public record WriteOptions(boolean ifAbsent, boolean absenceChecked, Map<String, String> tags,
        OptionalLong expectedSize, OptionalLong plannedSize) {

    public static final WriteOptions DEFAULT = new WriteOptions(false, false, Map.of(), OptionalLong.empty(),
            OptionalLong.empty());

    public WriteOptions {
        Objects.requireNonNull(tags, "tags");
        Objects.requireNonNull(expectedSize, "expectedSize");
        Objects.requireNonNull(plannedSize, "plannedSize");
        tags = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(tags));
    }

    public WriteOptions withIfAbsent(boolean value) {
        return new WriteOptions(value, absenceChecked, tags, expectedSize, plannedSize);
    }

    /** See {@link #absenceChecked()}. */
    public WriteOptions withAbsenceChecked(boolean value) {
        return new WriteOptions(ifAbsent, value, tags, expectedSize, plannedSize);
    }

    public WriteOptions withTags(Map<String, String> value) {
        return new WriteOptions(ifAbsent, absenceChecked, value, expectedSize, plannedSize);
    }

    public WriteOptions withExpectedSize(long size) {
        return new WriteOptions(ifAbsent, absenceChecked, tags, OptionalLong.of(size), plannedSize);
    }

    /** See {@link #plannedSize()}. */
    public WriteOptions withPlannedSize(long size) {
        return new WriteOptions(ifAbsent, absenceChecked, tags, expectedSize, OptionalLong.of(size));
    }
}
