package io.cumulus.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.domain.Blob;
import org.jclouds.blobstore.domain.PageSet;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.jclouds.blobstore.domain.StorageType;
import org.jclouds.blobstore.options.ListContainerOptions;

/**
 * Looks inside an S3 endpoint with a client that shares no code with Cumulus (jclouds, path-style),
 * so a test can check what the tools wrote, or plant objects for them to find.
 */
public final class S3Inspector implements AutoCloseable {

    private final BlobStoreContext context;
    private final BlobStore blobStore;

    public S3Inspector(String endpoint, String accessKey, String secretKey) {
        Properties overrides = new Properties();
        overrides.setProperty("jclouds.s3.virtual-host-buckets", "false");
        overrides.setProperty("jclouds.strip-expect-header", "true");
        if (endpoint.startsWith("https:")) {
            // a test server's throwaway certificate: what is checked here is what the tools stored
            overrides.setProperty("jclouds.trust-all-certs", "true");
            overrides.setProperty("jclouds.relax-hostname", "true");
        }
        context = ContextBuilder.newBuilder("s3")
                .endpoint(endpoint)
                .credentials(accessKey, secretKey)
                .overrides(overrides)
                .buildView(BlobStoreContext.class);
        blobStore = context.getBlobStore();
    }

    /**
     * Every object key in {@code bucket} starting with {@code prefix}, sorted; all pages. Keys ending
     * in "/" are left out (see below).
     */
    public List<String> keys(String bucket, String prefix) {
        List<String> keys = new ArrayList<>();
        ListContainerOptions options = ListContainerOptions.Builder.recursive();
        if (!prefix.isEmpty()) {
            options = options.prefix(prefix);
        }
        while (true) {
            PageSet<? extends StorageMetadata> page = blobStore.list(bucket, options);
            for (StorageMetadata entry : page) {
                // S3Proxy's filesystem backend lists its directories as "key/" objects; real S3 has
                // no directories and no Cumulus tool writes such a key, so they are not objects here
                if (entry.getType() == StorageType.BLOB && !entry.getName().endsWith("/")) {
                    keys.add(entry.getName());
                }
            }
            if (page.getNextMarker() == null) {
                break;
            }
            options = options.afterMarker(page.getNextMarker());
        }
        keys.sort(null);
        return keys;
    }

    /** The object's bytes, or empty when there is no such object. */
    public Optional<byte[]> read(String bucket, String key) {
        Blob blob = blobStore.getBlob(bucket, key);
        if (blob == null) {
            return Optional.empty();
        }
        try (InputStream in = blob.getPayload().openStream()) {
            return Optional.of(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read s3://" + bucket + "/" + key, e);
        }
    }

    /** Writes an object directly, bypassing the tools. */
    public void put(String bucket, String key, byte[] data) {
        blobStore.putBlob(bucket, blobStore.blobBuilder(key).payload(data).contentLength(data.length).build());
    }

    /** Deletes an object directly, bypassing the tools (a gap in an archive, say). */
    public void delete(String bucket, String key) {
        blobStore.removeBlob(bucket, key);
    }

    public boolean bucketExists(String bucket) {
        return blobStore.containerExists(bucket);
    }

    @Override
    public void close() {
        context.close();
    }
}
