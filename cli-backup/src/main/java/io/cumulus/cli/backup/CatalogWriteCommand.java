package io.cumulus.cli.backup;

import io.cumulus.cli.EncryptionOptions;
import io.cumulus.cli.TagOptions;
import io.cumulus.storage.WriteOptions;
import picocli.CommandLine.Mixin;

/**
 * A catalog tool that writes an object into a backup's directory (cumulus-backup-delete's FAILED
 * {@code backup.info}, cumulus-backup-keep's annotation): it takes cumulus-backup's encryption and tag
 * options, so that the object is written as the backup was and a bucket policy that requires
 * server-side encryption accepts it. Without them it writes as barman-cloud does, plainly.
 */
abstract class CatalogWriteCommand extends CatalogCommand {

    @Mixin
    EncryptionOptions encryption;

    @Mixin
    TagOptions tags;

    private WriteOptions writes;

    @Override
    void checkInput() {
        writes = WriteOptions.DEFAULT.withTags(tags.tags(spec.commandLine().getParseResult()));
    }

    @Override
    final EncryptionOptions encryption() {
        return encryption;
    }

    /** How the tool's object is written: with the tags given ({@link #checkInput} has read them). */
    final WriteOptions writes() {
        return writes;
    }
}
