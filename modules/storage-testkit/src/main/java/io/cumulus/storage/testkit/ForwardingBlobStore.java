package io.cumulus.storage.testkit;

import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.WriteOptions;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * A store that passes every call to another, for tests that change one behaviour (a store that
 * refuses writes, one that records its writers) and keep the rest real.
 */
public abstract class ForwardingBlobStore implements BlobStore {

    private final BlobStore delegate;

    protected ForwardingBlobStore(BlobStore delegate) {
        this.delegate = delegate;
    }

    protected BlobStore delegate() {
        return delegate;
    }

    @Override
    public InputStream openRead(String key) throws IOException {
        return delegate.openRead(key);
    }

    @Override
    public InputStream openRead(String key, long offset, long length) throws IOException {
        return delegate.openRead(key, offset, length);
    }

    @Override
    public Optional<BlobInfo> stat(String key) throws IOException {
        return delegate.stat(key);
    }

    @Override
    public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
        return delegate.openWrite(key, options);
    }

    @Override
    public long writeBufferNeed(long size) {
        return delegate.writeBufferNeed(size);
    }

    @Override
    public String describeKey(String key) {
        return delegate.describeKey(key);
    }

    @Override
    public BlobIterator list(String prefix) throws IOException {
        return delegate.list(prefix);
    }

    @Override
    public List<String> listPrefixes(String prefix) throws IOException {
        return delegate.listPrefixes(prefix);
    }

    @Override
    public void delete(String key) throws IOException {
        delegate.delete(key);
    }

    @Override
    public void deleteAll(Collection<String> keys) throws IOException {
        delegate.deleteAll(keys);
    }

    @Override
    public void checkAvailable() throws IOException {
        delegate.checkAvailable();
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
