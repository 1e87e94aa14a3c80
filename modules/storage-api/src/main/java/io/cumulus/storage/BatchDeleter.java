package io.cumulus.storage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Runs a {@link BlobStore#deleteAll} the same way for every provider: keys split into batches of the
 * store's size, the keys of a failed batch retried one by one, and a {@link BatchDeleteException}
 * naming exactly the keys that could not be deleted. The provider supplies only the two store calls;
 * this class owns the policy, so no provider logs and forgets a failure.
 */
public final class BatchDeleter {

    /** Deletes one batch in a single request, such as S3 DeleteObjects. */
    @FunctionalInterface
    public interface BatchCall {
        /**
         * @param keys at most the batch size, distinct
         * @return the keys the store reported it could not delete (absent keys count as deleted)
         * @throws IOException when the request as a whole failed; every key of the batch is then retried
         */
        List<String> deleteBatch(List<String> keys) throws IOException;
    }

    /** Deletes one key in a single request; an absent key succeeds. */
    @FunctionalInterface
    public interface SingleCall {
        void delete(String key) throws IOException;
    }

    private final int batchSize;
    private final BatchCall batchCall;
    private final SingleCall singleCall;

    public BatchDeleter(int batchSize, BatchCall batchCall, SingleCall singleCall) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, not " + batchSize);
        }
        this.batchSize = batchSize;
        this.batchCall = Objects.requireNonNull(batchCall, "batchCall");
        this.singleCall = Objects.requireNonNull(singleCall, "singleCall");
    }

    /**
     * A deleter for a store without a batch request: every key is deleted on its own, and any that
     * fails is tried once more before it is reported.
     */
    public static BatchDeleter oneByOne(SingleCall singleCall) {
        return new BatchDeleter(1, keys -> {
            singleCall.delete(keys.get(0));
            return List.of();
        }, singleCall);
    }

    /**
     * Deletes every key (duplicates once), batch after batch. A batch that fails, wholly or for some
     * keys, does not stop the next ones: its failed keys are retried one by one afterwards.
     *
     * @throws ContainerNotFoundException as soon as the store says the container is missing, since no
     *     retry can succeed then
     * @throws BatchDeleteException naming, in the order given, the keys whose one-by-one retry failed;
     *     its cause is the first such failure, the others attached as suppressed
     */
    public void deleteAll(Collection<String> keys) throws IOException {
        List<String> distinct = new ArrayList<>(new LinkedHashSet<>(keys));
        Set<String> toRetry = new HashSet<>();
        IOException batchFailure = null;
        for (int start = 0; start < distinct.size(); start += batchSize) {
            List<String> batch = distinct.subList(start, Math.min(distinct.size(), start + batchSize));
            try {
                List<String> failed = batchCall.deleteBatch(List.copyOf(batch));
                toRetry.addAll(failed);
            } catch (ContainerNotFoundException e) {
                throw e;
            } catch (IOException e) {
                toRetry.addAll(batch);
                batchFailure = e;
            }
        }
        List<String> left = new ArrayList<>();
        IOException cause = null;
        // in the order given (a store may report a batch's failures in any order), and only keys we asked for
        for (String key : distinct) {
            if (!toRetry.contains(key)) {
                continue;
            }
            try {
                singleCall.delete(key);
            } catch (ContainerNotFoundException e) {
                throw e;
            } catch (IOException e) {
                left.add(key);
                if (cause == null) {
                    cause = e;
                } else if (cause.getSuppressed().length < 10) {
                    cause.addSuppressed(e);
                }
            }
        }
        if (!left.isEmpty()) {
            if (batchFailure != null && batchFailure != cause) {
                cause.addSuppressed(batchFailure);
            }
            throw new BatchDeleteException(left, cause);
        }
    }
}
