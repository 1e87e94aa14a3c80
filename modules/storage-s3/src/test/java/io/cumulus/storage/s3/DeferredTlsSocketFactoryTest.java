package io.cumulus.storage.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.http.protocol.BasicHttpContext;
import org.junit.jupiter.api.Test;

class DeferredTlsSocketFactoryTest {

    @Test
    void makesTheTlsFactoryOnlyWhenASocketIsAskedFor() throws Exception {
        AtomicInteger made = new AtomicInteger();
        DeferredTlsSocketFactory factory = new DeferredTlsSocketFactory(() -> {
            made.incrementAndGet();
            return TlsSetup.setUp(Map.of(), Optional.empty()).socketFactory();
        });
        assertFalse(factory.started(), "nothing TLS is made with the client");
        try (Socket first = factory.createSocket(new BasicHttpContext());
                Socket second = factory.createSocket(new BasicHttpContext())) {
            assertTrue(factory.started(), "a connection made TlsSetup's factory");
            assertEquals(1, made.get(), "once");
        }
    }
}
