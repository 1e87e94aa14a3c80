package io.cumulus.cli;

import io.cumulus.core.InvalidInputException;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Server-side encryption of the objects a tool writes: S3's {@code -e AES256|aws:kms} and {@code
 * --sse-kms-key-id}, Azure's {@code --encryption-scope}, Google Cloud Storage's {@code --kms-key-name}.
 * Each provider reads its own and ignores the others', as barman-cloud does.
 */
public final class EncryptionOptions {

    @Option(names = {"-e", "--encryption"}, paramLabel = "ENCRYPTION",
            description = "S3 server-side encryption: AES256 or aws:kms.")
    String encryption;

    @Option(names = "--sse-kms-key-id", paramLabel = "ID",
            description = "KMS key for -e aws:kms (id, ARN or alias).")
    String sseKmsKeyId;

    @Option(names = "--encryption-scope", paramLabel = "SCOPE",
            description = "Azure: the encryption scope of the blobs written.")
    String encryptionScope;

    @Option(names = "--kms-key-name", paramLabel = "NAME",
            description = "Google Cloud Storage: the Cloud KMS key of the objects written"
                    + " (projects/P/locations/L/keyRings/R/cryptoKeys/K).")
    String kmsKeyName;

    /** {@code --encryption-scope} (Azure). */
    public Optional<String> encryptionScope() {
        return Optional.ofNullable(encryptionScope);
    }

    /** {@code --kms-key-name} (Google Cloud Storage). */
    public Optional<String> kmsKeyName() {
        return Optional.ofNullable(kmsKeyName);
    }

    /** The validated encryption, if any. */
    public Optional<String> encryption() {
        if (encryption != null && !encryption.equals("AES256") && !encryption.equals("aws:kms")) {
            throw new InvalidInputException("invalid --encryption '" + encryption + "': expected AES256 or aws:kms");
        }
        if (sseKmsKeyId != null && !"aws:kms".equals(encryption)) {
            throw new InvalidInputException("--sse-kms-key-id needs --encryption aws:kms");
        }
        return Optional.ofNullable(encryption);
    }

    public Optional<String> sseKmsKeyId() {
        encryption();
        return Optional.ofNullable(sseKmsKeyId);
    }
}
