package io.cumulus.core.restore;

import java.time.Duration;

/**
 * What a restore did, for its summary line.
 *
 * @param files the regular files written
 * @param bytes their total size
 * @param archives the archive objects extracted
 * @param verified whether every file was checked against the backup's manifest
 * @param elapsed from the first download to the last link
 */
public record RestoreOutcome(long files, long bytes, int archives, boolean verified, Duration elapsed) {
}
