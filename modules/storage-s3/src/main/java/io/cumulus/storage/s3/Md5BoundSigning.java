package io.cumulus.storage.s3;

import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.scheme.AwsV4AuthScheme;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.scheme.AuthScheme;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignRequest;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignedRequest;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.identity.spi.IdentityProviders;
import software.amazon.awssdk.utils.http.SdkHttpUtils;

/**
 * SigV4 as the SDK does it, except that a body whose {@code Content-MD5} is among the signed
 * headers is not hashed again with SHA-256 over plain HTTP.
 *
 * <p>Over HTTPS the SDK already sends {@code UNSIGNED-PAYLOAD}. Over HTTP it insists on signing the
 * body, which costs a second pass over every byte on both ends (SHA-256 here, and again in the
 * store to check it). Cumulus sends a Content-MD5 with every object and part it writes, and that
 * header is signed: the store refuses a body that does not match it, so an altered body is refused
 * either way, and the store checks the one digest it computes anyway (the ETag). Requests without a
 * Content-MD5 are signed exactly as the SDK would.
 */
final class Md5BoundSigning implements AuthScheme<AwsCredentialsIdentity> {

    private static final String CONTENT_MD5 = "Content-MD5";

    private final AwsV4AuthScheme sigV4 = AwsV4AuthScheme.create();
    private final Signer signer = new Signer(sigV4.signer());

    static AuthScheme<AwsCredentialsIdentity> create() {
        return new Md5BoundSigning();
    }

    @Override
    public String schemeId() {
        return sigV4.schemeId();
    }

    @Override
    public IdentityProvider<AwsCredentialsIdentity> identityProvider(IdentityProviders providers) {
        return sigV4.identityProvider(providers);
    }

    @Override
    public HttpSigner<AwsCredentialsIdentity> signer() {
        return signer;
    }

    record Signer(AwsV4HttpSigner sdk) implements HttpSigner<AwsCredentialsIdentity> {

        @Override
        public SignedRequest sign(SignRequest<? extends AwsCredentialsIdentity> request) {
            SdkHttpRequest http = request.request();
            if (!"http".equals(http.protocol()) || http.firstMatchingHeader(CONTENT_MD5).isEmpty()
                    || !request.payload().isPresent()) {
                return sdk.sign(request);
            }
            // The SDK decides on payload signing by the request's scheme alone, and the scheme is no
            // part of what SigV4 signs. The Host header is, so it is fixed first to what goes on the wire.
            SdkHttpRequest asHttps = http.toBuilder()
                    .putHeader("Host", hostHeader(http))
                    .protocol("https")
                    .build();
            SignedRequest signed = sdk.sign(request.toBuilder()
                    .request(asHttps)
                    .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, false)
                    .putProperty(AwsV4HttpSigner.CHUNK_ENCODING_ENABLED, false)
                    .build());
            return signed.toBuilder()
                    .request(signed.request().toBuilder().protocol(http.protocol()).port(http.port()).build())
                    .build();
        }

        @Override
        public CompletableFuture<AsyncSignedRequest> signAsync(AsyncSignRequest<? extends AwsCredentialsIdentity> request) {
            return sdk.signAsync(request); // Cumulus uses the sync client only
        }

        /** The Host header an HTTP client sends for {@code http}: the port only when it is not the scheme's own. */
        static String hostHeader(SdkHttpRequest http) {
            return SdkHttpUtils.isUsingStandardPort(http.protocol(), http.port())
                    ? http.host() : http.host() + ":" + http.port();
        }
    }
}
