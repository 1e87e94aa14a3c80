package io.cumulus.core.backup;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cumulus.core.util.ExternalCommand;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Reads an archive with Python's tarfile in streaming mode, as barman-cloud-restore does ({@code
 * tarfile.open(fileobj=..., mode='r|gz')}), so a test proves what barman sees.
 */
final class PythonTarfile {

    private static final String LIST = String.join("\n",
            "import hashlib, sys, tarfile",
            "t = tarfile.open(fileobj=sys.stdin.buffer, mode=sys.argv[1])",
            "for m in t:",
            "    print(m.name + '\\t' + hashlib.sha256(t.extractfile(m).read()).hexdigest())");

    private PythonTarfile() {
    }

    static void assumeAvailable() {
        assumeTrue(ExternalCommand.available("python3"), "python3 is missing");
    }

    /**
     * Each member as {@code name<TAB>sha256}, in archive order.
     *
     * @param mode tarfile's streaming mode: {@code r|}, {@code r|gz}, {@code r|bz2}
     */
    static List<String> members(byte[] archive, String mode) throws Exception {
        byte[] out = ExternalCommand.run(List.of("python3", "-c", LIST, mode), archive).successfulOutput();
        String text = new String(out, StandardCharsets.UTF_8);
        return text.isEmpty() ? List.of() : Arrays.asList(text.split("\n"));
    }
}
