package io.cumulus.postgres;

import io.cumulus.core.restore.BackupManifest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the backup_manifest at {@code args[0]} as a restore does and prints how many paths it lists:
 * run in a JVM of a small heap by {@link BackupManifestWriterTest}.
 */
public final class ParseManifestFile {

    private ParseManifestFile() {
    }

    public static void main(String[] args) throws Exception {
        BackupManifest manifest = BackupManifest.parse(new String(Files.readAllBytes(Path.of(args[0])),
                StandardCharsets.UTF_8));
        System.out.println(manifest.files().size());
    }
}
