package io.cumulus.storage.s3;

import java.io.StringReader;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Mac;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.apache.http.conn.util.PublicSuffixMatcherLoader;
import software.amazon.awssdk.regions.ServiceMetadata;

/**
 * A process that lives for one archive call spends a good part of its life initialising, one after
 * the other, things that its client and first requests need and that do not depend on one another:
 * S3's table of region metadata (every AWS service's, built when the client is), Apache's public
 * suffix list, the JDK's HMAC and MD5 providers (signing, Content-MD5), the XML parser (every answer).
 * Once per JVM, a helper thread initialises them while the caller builds the client, so that a spare
 * core shortens the call. It only runs class initialisers and factory look-ups, which the JVM makes
 * safe to race: whichever thread comes first does the work, the other waits for it.
 */
final class FirstRequestWarmUp {

    private static final AtomicBoolean STARTED = new AtomicBoolean();

    private FirstRequestWarmUp() {
    }

    static void start() {
        if (!STARTED.compareAndSet(false, true) || Runtime.getRuntime().availableProcessors() < 2) {
            return;
        }
        Thread thread = new Thread(FirstRequestWarmUp::run, "cumulus-s3-warm-up");
        thread.setDaemon(true);
        thread.start();
    }

    private static void run() {
        try {
            ServiceMetadata.of("s3");
            PublicSuffixMatcherLoader.getDefault();
            Mac.getInstance("HmacSHA256");
            MessageDigest.getInstance("MD5");
            MessageDigest.getInstance("SHA-256");
            XMLStreamReader reader = XMLInputFactory.newInstance().createXMLStreamReader(new StringReader("<a>b</a>"));
            while (reader.hasNext()) {
                reader.next();
            }
            reader.close();
        } catch (GeneralSecurityException | XMLStreamException | RuntimeException e) {
            // only a head start: the caller initialises whatever this could not, and reports what fails
        }
    }
}
