package io.cumulus.storage.s3;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import org.apache.http.protocol.BasicHttpContext;
import org.junit.jupiter.api.Test;

class DeferredTlsSocketFactoryTest {

    @Test
    void makesTheTlsFactoryOnlyWhenASocketIsAskedFor() throws Exception {
        DeferredTlsSocketFactory factory = new DeferredTlsSocketFactory();
        assertFalse(factory.started(), "nothing TLS is made with the client");
        try (Socket socket = factory.createSocket(new BasicHttpContext())) {
            assertTrue(factory.started(), "a connection made the JDK's TLS factory");
        }
    }
}
