package io.cumulus.storage.azure;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.storage.blob.models.BlobStorageException;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * How the store words Azure's answers that an emulator does not give as Azure does: each is built
 * here as the SDK would build it from Azure's response, and handed to {@link
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

    /** A BlobStorageException as the SDK makes it of Azure's answer: its message quotes the body. */
    static BlobStorageException failure(int status, String code, String message) {
        String body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>" + code + "</Code><Message>" + message
                + "</Message></Error>";
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
