package io.cumulus.storage.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import org.junit.jupiter.api.Test;

/**
 * The signature of an HTTP write with a Content-MD5 must be the one the store computes from what goes
 * on the wire: the same as the SDK's own signature of that request with an unsigned body. The store's
 * side of it is S3BlobStoreTest, against S3Proxy on a port of its own; here, the default port 80,
 * where the Host header carries no port.
 */
class Md5BoundSigningTest {
    private static final AwsCredentialsIdentity CREDENTIALS = AwsCredentialsIdentity.create("AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-21T12:00:00Z"), ZoneOffset.UTC);
    private static final byte[] BODY = "sixteen mebibytes, in spirit".getBytes();

    private static SdkHttpRequest put(String uri) {
        return SdkHttpRequest.builder().method(SdkHttpMethod.PUT).uri(URI.create(uri))
                .putHeader("Content-MD5", S3BlobStore.contentMd5(BODY, BODY.length))
                .putHeader("Content-Length", String.valueOf(BODY.length))
                .build();
    }

    private static SignedRequest sign(HttpSigner<AwsCredentialsIdentity> signer, SdkHttpRequest request,
                                      boolean payloadSigning) {
        return signer.sign(SignRequest.builder(CREDENTIALS)
                .request(request)
                .payload(ContentStreamProvider.fromByteArray(BODY))
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
                .putProperty(AwsV4HttpSigner.DOUBLE_URL_ENCODE, false)
                .putProperty(AwsV4HttpSigner.NORMALIZE_PATH, false)
                .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, payloadSigning)
                .putProperty(HttpSigner.SIGNING_CLOCK, CLOCK)
                .build());
    }

    @Test
    void anHttpWriteOnTheDefaultPortIsSignedAsTheSameRequestWithAnUnsignedBody() {
        SdkHttpRequest http = put("http://s3.example.internal/bucket/wals/000000010000000000000001");
        SignedRequest ours = sign(Md5BoundSigning.create().signer(), http, false);
        // the same request as the SDK signs it where it allows an unsigned body: HTTPS on its default port
        SignedRequest reference = sign(AwsV4HttpSigner.create(),
                put("https://s3.example.internal/bucket/wals/000000010000000000000001"), false);

        assertEquals("http", ours.request().protocol());
        assertEquals(80, ours.request().port());
        assertEquals("s3.example.internal", ours.request().firstMatchingHeader("Host").orElseThrow());
        assertEquals("UNSIGNED-PAYLOAD", ours.request().firstMatchingHeader("x-amz-content-sha256").orElseThrow());
        assertEquals(reference.request().firstMatchingHeader("Authorization"),
                ours.request().firstMatchingHeader("Authorization"));
    }

    @Test
    void anotherPortIsPartOfTheSignedHost() {
        SdkHttpRequest http = put("http://127.0.0.1:9000/bucket/key");
        assertEquals("127.0.0.1:9000", Md5BoundSigning.Signer.hostHeader(http));
        SignedRequest ours = sign(Md5BoundSigning.create().signer(), http, false);
        assertEquals(9000, ours.request().port());
        assertEquals("127.0.0.1:9000", ours.request().firstMatchingHeader("Host").orElseThrow());
    }

    @Test
    void writesWithoutAnMd5AndHttpsRequestsAreSignedAsTheSdkSignsThem() {
        SdkHttpRequest noMd5 = put("http://127.0.0.1:9000/bucket/key").toBuilder().removeHeader("Content-MD5").build();
        SignedRequest ours = sign(Md5BoundSigning.create().signer(), noMd5, false);
        String hash = ours.request().firstMatchingHeader("x-amz-content-sha256").orElseThrow();
        assertTrue(!hash.equals("UNSIGNED-PAYLOAD"), "the SDK signs bodies over HTTP: " + hash);
        assertEquals(sign(AwsV4HttpSigner.create(), noMd5, false).request().firstMatchingHeader("Authorization"),
                ours.request().firstMatchingHeader("Authorization"));

        SdkHttpRequest https = put("https://s3.example.internal/bucket/key");
        assertEquals(sign(AwsV4HttpSigner.create(), https, false).request().firstMatchingHeader("Authorization"),
                sign(Md5BoundSigning.create().signer(), https, false).request().firstMatchingHeader("Authorization"));
    }
}
