package io.cumulus.storage;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FullDiskTest {

    @Test
    void theCLibrarysWordsForAFullFileSystemOrQuotaAreFullAndOthersAreNot() {
        assertTrue(FullDisk.says("No space left on device"));
        assertTrue(FullDisk.says("/srv/pg/x: Disk quota exceeded"));
        assertFalse(FullDisk.says("Permission denied"));
        assertFalse(FullDisk.says(null));
    }
}
