package dev.podlb.benchmarks;

import dev.podlb.benchmarks.peers.Peers;
import dev.podlb.core.Endpoint;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The sticky slot table's balance read from every slot, not from sampled keys (a million keys over
 * 5,000 pods is 200 a pod, whose sampling noise alone puts the busiest pod 25% above the mean),
 * and its size, for {@link BenchmarkReport}. {@code SlotTable} is lb-core's implementation, not its
 * API, so it is reached by a private lookup; the handles are package-private so that
 * {@link SlotTableBenchmark} uses them too.
 */
final class SlotTableBalance {
    /** One table: its slot count, its bytes, and how many slots its busiest pod owns over the mean. */
    record Result(int pods, int slots, long bytes, double busiestOverMean) {}

    static final MethodHandle OF;
    static final MethodHandle UPDATE;
    static final MethodHandle OWNER_OF;
    static final MethodHandle SLOTS;
    static final MethodHandle MEMORY_BYTES;
    /** SlotTable.lazily(List, long): with 0 rankings allowed, every leave makes an interim table. */
    static final MethodHandle LAZILY;

    static {
        try {
            Class<?> table = Class.forName("dev.podlb.core.pick.SlotTable");
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(table, MethodHandles.lookup());
            OF = lookup.findStatic(table, "of", MethodType.methodType(table, List.class))
                    .asType(MethodType.methodType(Object.class, List.class));
            UPDATE = lookup.findVirtual(table, "update", MethodType.methodType(table, List.class))
                    .asType(MethodType.methodType(Object.class, Object.class, List.class));
            OWNER_OF = lookup.findVirtual(table, "ownerOf", MethodType.methodType(Endpoint.class, long.class))
                    .asType(MethodType.methodType(Endpoint.class, Object.class, long.class));
            SLOTS = lookup.findVirtual(table, "slots", MethodType.methodType(int.class))
                    .asType(MethodType.methodType(int.class, Object.class));
            MEMORY_BYTES = lookup.findVirtual(table, "memoryBytes", MethodType.methodType(long.class))
                    .asType(MethodType.methodType(long.class, Object.class));
            LAZILY = lookup.findVirtual(table, "lazily", MethodType.methodType(table, List.class, long.class))
                    .asType(MethodType.methodType(Object.class, Object.class, List.class, long.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private SlotTableBalance() {}

    /** Builds the table of {@code pods} pods and counts each slot's owner (a slot is the key hash's top bits). */
    static Result measure(int pods) throws Throwable {
        Object table = OF.invokeExact(Peers.podlbEndpoints(Peers.addresses(pods)));
        int slots = (int) SLOTS.invokeExact(table);
        int bits = Integer.numberOfTrailingZeros(slots);
        Map<Endpoint, Integer> owned = new HashMap<>();
        for (int slot = 0; slot < slots; slot++) {
            owned.merge((Endpoint) OWNER_OF.invokeExact(table, (long) slot << (64 - bits)), 1, Integer::sum);
        }
        int busiest = owned.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        return new Result(pods, slots, (long) MEMORY_BYTES.invokeExact(table), busiest / ((double) slots / pods));
    }
}
