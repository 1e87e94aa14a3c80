package io.cumulus.storage.azure;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.storage.blob.models.BlobStorageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * How the store words Azure's answers that Azurite does not give as Azure does: each is built here as
 * the SDK would build it from Azure's response, and handed to {@link
 * AzureBlobStore#translate(RuntimeException, String)}. No request is sent.
 */
class AzureFailureTranslationTest {

    private AzureBlobStore store;

    @BeforeEach
    void openStore() {
        store = (AzureBlobStore) AzureBlobStores.open(AzureStoreConfig.of(
                URI.create("https://acct.blob.core.windows.net"), "acct", "backups", new AzureCredential.DefaultChain()));
    }

    @AfterEach
    void closeStore() throws IOException {
        store.close();
    }

    @Test
    void translatesAzuresMd5Mismatch() {
        IOException e = store.translate(failure(400, "Md5Mismatch", "The MD5 value specified in the request did not"
                + " match with the MD5 value calculated by the server."), "wals/x");
        assertTrue(e.getMessage().contains("Content-MD5 does not match; nothing was stored"), e.getMessage());
    }

    /**
     * Azure's answer to a request signed with a wrong key quotes the request's signature and the
     * string it signed (and a SAS's signature for a forged SAS): none of it may reach a message, a
     * cause or a stack trace, which logs at -vv would show.
     */
    @Test
    void azuresAnswerToAWrongSignatureIsNeverRepeated() {
        String signature = "U2lnbmF0dXJlT2ZUaGVSZXF1ZXN0PQ==";
        String signed = "GET\n\n\n\nx-ms-date:Sun, 06 Dec 2026 18:00:00 GMT\n/acct/backups\ncomp:list";
        BlobStorageException refused = failure(403, "AuthenticationFailed", "Server failed to authenticate the request."
                + " Make sure the value of Authorization header is formed correctly including the signature.",
                "<AuthenticationErrorDetail>The MAC signature found in the HTTP request '" + signature + "' is not the"
                        + " same as any computed signature. Server used following string to sign: '" + signed
                        + "'.</AuthenticationErrorDetail>");
        IOException e = store.translate(refused, "");
        assertInstanceOf(AccessDeniedException.class, e);
        assertTrue(e.getMessage().contains("check the credentials"), e.getMessage());
        StringWriter printed = new StringWriter();
        e.printStackTrace(new PrintWriter(printed));
        for (String secret : List.of(signature, "x-ms-date", "string to sign")) {
            assertFalse(printed.toString().contains(secret), printed.toString());
        }
    }

    /**
     * The SDK failing before it sends: its exception quotes the request URL, the SAS in its query and
     * past a space or a quote, or a piece of an endpoint's user info. Found with a SAS from a Docker
     * --env-file (quotes kept) and a BlobEndpoint with user info; the message once quoted both.
     */
    @Test
    void theSdksOwnTextNeverCarriesTheSasOrAnEndpointPassword() {
        RuntimeException badQuery = new RuntimeException(new java.net.URISyntaxException("http://127.0.0.1:18400/"
                + "devstoreaccount1/cont?restype=container&comp=list&\"sv=2020-08-04&ss=b sig=SECRET-SIG\"",
                "Illegal character in query", 151));
        RuntimeException badPort = new NumberFormatException("For input string: \"SECRET-PW@127.0.0.1:18400\"");
        for (RuntimeException failure : List.of(badQuery, badPort)) {
            IOException e = store.translate(failure, "wals/x");
            assertFalse(e.getMessage().contains("SECRET"), e.getMessage());
            assertTrue(e.getMessage().contains("wals/x: "), e.getMessage());
        }
    }

    /** The same through the SDK: a SAS it cannot put in a URL fails every request before one is sent. */
    @Test
    void aSasTheSdkCannotSendFailsWithoutBeingShown() throws IOException {
        try (var azure = AzureBlobStores.open(AzureStoreConfig.of(URI.create("http://127.0.0.1:1/devstoreaccount1"),
                "devstoreaccount1", "cont", new AzureCredential.SharedKey("a2V5")),
                builder -> builder.sasToken("\"sv=2020-08-04&ss=b|x&sig=SECRET-SIG\""))) {
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> azure.list("").hasNext());
            assertFalse(e.getMessage().contains("SECRET"), e.getMessage());
        }
    }

    /** A BlobStorageException as the SDK makes it of Azure's answer: its message quotes the body. */
    static BlobStorageException failure(int status, String code, String message) {
        return failure(status, code, message, "");
    }

    static BlobStorageException failure(int status, String code, String message, String detail) {
        String body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>" + code + "</Code><Message>" + message
                + "</Message>" + detail + "</Error>";
        return new BlobStorageException("Status code " + status + ", \"" + body + "\"", new Answer(status, code, body),
                null);
    }

    /** Azure's HTTP answer, as far as the SDK's exception reads it. */
    private static final class Answer extends HttpResponse {
        private final int status;
        private final HttpHeaders headers;
        private final String body;

        Answer(int status, String code, String body) {
            super(new HttpRequest(HttpMethod.GET, "https://acct.blob.core.windows.net/backups/wals/x"));
            this.status = status;
            this.headers = new HttpHeaders().set(HttpHeaderName.fromString("x-ms-error-code"), code)
                    .set(HttpHeaderName.X_MS_REQUEST_ID, "req-1");
            this.body = body;
        }

        @Override
        public int getStatusCode() {
            return status;
        }

        @Override
        @Deprecated
        public String getHeaderValue(String name) {
            return headers.getValue(HttpHeaderName.fromString(name));
        }

        @Override
        public HttpHeaders getHeaders() {
            return headers;
        }

        @Override
        public Flux<ByteBuffer> getBody() {
            return Flux.just(ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)));
        }

        @Override
        public Mono<byte[]> getBodyAsByteArray() {
            return Mono.just(body.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public Mono<String> getBodyAsString() {
            return Mono.just(body);
        }

        @Override
        public Mono<String> getBodyAsString(Charset charset) {
            return Mono.just(body);
        }
    }
}
