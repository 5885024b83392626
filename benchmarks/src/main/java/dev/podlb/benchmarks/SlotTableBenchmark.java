package dev.podlb.benchmarks;

import dev.podlb.benchmarks.peers.Peers;
import dev.podlb.core.Endpoint;
import dev.podlb.core.internal.Hashing;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The sticky picker's slot table at N pods: a full build, one pod joining (N to N + 1) and one
 * leaving (N + 1 to N), each an update as a load balancer applies it, and one pick over many
 * distinct keys, so that the table's size shows in cache misses. The setup prints each table's
 * size and memory.
 *
 * <p>{@code SlotTable} is lb-core's implementation, not its API, so it is reached here by a
 * private lookup; a call through a method handle costs nanoseconds against the microseconds to
 * milliseconds measured.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class SlotTableBenchmark {
    /** Picks cycle through this many key hashes, read in order so that only the table misses cache. */
    private static final int KEYS = 1 << 20;

    // SlotTable's methods by private lookup, shared with the report's balance table.
    private static final MethodHandle OF = SlotTableBalance.OF;
    private static final MethodHandle UPDATE = SlotTableBalance.UPDATE;
    private static final MethodHandle OWNER_OF = SlotTableBalance.OWNER_OF;
    private static final MethodHandle SLOTS = SlotTableBalance.SLOTS;
    private static final MethodHandle MEMORY_BYTES = SlotTableBalance.MEMORY_BYTES;
    private static final MethodHandle LAZILY = SlotTableBalance.LAZILY;

    @Param({"10", "100", "1000", "5000"})
    public int pods;

    private List<Endpoint> set;
    private List<Endpoint> setWithOneMore;
    private Object table;
    private Object tableWithOneMore;
    /** An interim table: one pod of {@link #tableWithOneMore} left, the others present. */
    private Object interim;
    private List<Endpoint> interimSetWithAJoin;
    /** An interim table over {@link #table}: every 20th pod left (5%), as a rollout leaves them between settles. */
    private Object interimWithAFewLeft;
    private final long[] keyHashes = new long[KEYS];
    private int nextKey;

    @Setup(Level.Trial)
    public void setUp() throws Throwable {
        set = Peers.podlbEndpoints(Peers.addresses(pods));
        setWithOneMore = Peers.podlbEndpoints(Peers.addresses(pods + 1));
        table = OF.invokeExact(set);
        tableWithOneMore = OF.invokeExact(setWithOneMore);
        interim = LAZILY.invokeExact(tableWithOneMore, setWithOneMore.subList(1, pods + 1), 0L);
        interimSetWithAJoin = new ArrayList<>(setWithOneMore.subList(1, pods + 1));
        interimSetWithAJoin.add(Peers.podlbEndpoints(Peers.addresses(pods + 2)).get(pods + 1));
        List<Endpoint> fewLeft = new ArrayList<>(set);
        for (int i = fewLeft.size() - 1; i >= 0; i -= 20) {
            fewLeft.remove(i);
        }
        interimWithAFewLeft = LAZILY.invokeExact(table, fewLeft, 0L);
        for (int i = 0; i < KEYS; i++) {
            keyHashes[i] = Hashing.ofKey(Peers.sessionOf(i));
        }
        System.out.printf("%nslot table over %d pods: %d slots, %d bytes%n", pods,
                (int) SLOTS.invokeExact(table), (long) MEMORY_BYTES.invokeExact(table));
    }

    @Benchmark
    public Object build() throws Throwable {
        return OF.invokeExact(set);
    }

    @Benchmark
    public Object join() throws Throwable {
        return UPDATE.invokeExact(table, setWithOneMore);
    }

    @Benchmark
    public Object leave() throws Throwable {
        return UPDATE.invokeExact(tableWithOneMore, set);
    }

    /** A pod joining while a leave is not yet settled: it stacks on the interim table. */
    @Benchmark
    public Object joinOntoAnInterimTable() throws Throwable {
        return LAZILY.invokeExact(interim, interimSetWithAJoin, 0L);
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public Endpoint pick() throws Throwable {
        long keyHash = keyHashes[nextKey++ & (KEYS - 1)];
        return (Endpoint) OWNER_OF.invokeExact(table, keyHash);
    }

    /**
     * A pick while 5% of the pods left unsettled: a key on a departed pod's slot ranks every
     * present pod, so this is about a pick plus 5% of N rankings.
     */
    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public Endpoint pickOnAnInterimTable() throws Throwable {
        long keyHash = keyHashes[nextKey++ & (KEYS - 1)];
        return (Endpoint) OWNER_OF.invokeExact(interimWithAFewLeft, keyHash);
    }
}
