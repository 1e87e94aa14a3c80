package io.cumulus.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BatchDeleterTest {

    private final TreeSet<String> objects = new TreeSet<>();
    private final List<Integer> batchSizes = new ArrayList<>();
    private final List<String> singles = new ArrayList<>();

    private List<String> keys(int count) {
        List<String> keys = IntStream.range(0, count).mapToObj(i -> String.format("k%05d", i)).toList();
        objects.addAll(keys);
        return keys;
    }

    @Test
    void keysAreDeletedInBatchesOfTheStoreSize() throws IOException {
        List<String> keys = keys(2500);
        new BatchDeleter(1000, batch -> {
            batchSizes.add(batch.size());
            objects.removeAll(batch);
            return List.of();
        }, singles::add).deleteAll(keys);
        assertEquals(List.of(1000, 1000, 500), batchSizes);
        assertEquals(List.of(), singles);
        assertEquals(Set.of(), objects);
    }

    @Test
    void keysOfAFailedBatchAreRetriedOneByOne() throws IOException {
        List<String> keys = keys(25);
        new BatchDeleter(10, batch -> {
            if (batch.contains("k00012")) {
                throw new IOException("store hung up on the batch");
            }
            objects.removeAll(batch);
            return List.of();
        }, key -> {
            singles.add(key);
            objects.remove(key);
        }).deleteAll(keys);
        assertEquals(keys.subList(10, 20), singles);
        assertEquals(Set.of(), objects);
    }

    @Test
    void keysThatStillFailAreReportedExactlyInTheOrderGiven() {
        List<String> keys = keys(30);
        IOException denied = new IOException("denied k00027");
        BatchDeleteException e = assertThrows(BatchDeleteException.class, () -> new BatchDeleter(10, batch -> {
            objects.removeAll(batch);
            // the store reports per-key errors out of order
            return batch.stream().filter(k -> k.equals("k00027") || k.equals("k00003")).sorted((a, b) -> b.compareTo(a))
                    .toList();
        }, key -> {
            if (key.equals("k00027")) {
                throw denied;
            }
        }).deleteAll(keys));
        assertEquals(List.of("k00027"), e.failedKeys());
        assertSame(denied, e.getCause());
    }

    @Test
    void duplicateKeysAreDeletedOnce() throws IOException {
        BatchDeleter.oneByOne(singles::add).deleteAll(List.of("a", "b", "a"));
        assertEquals(List.of("a", "b"), singles);
    }

    @Test
    void missingContainerStopsAtOnce() {
        List<String> keys = keys(30);
        assertThrows(ContainerNotFoundException.class, () -> new BatchDeleter(10, batch -> {
            throw new ContainerNotFoundException("no bucket");
        }, singles::add).deleteAll(keys));
        assertEquals(List.of(), singles);
    }
}
