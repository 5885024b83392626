package dev.podlb.core.pick;

import dev.podlb.core.Endpoint;
import dev.podlb.core.internal.Hashing;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sticky sessions: a request's key maps to one endpoint through a {@link SlotTable}, a pure
 * function of the pickable endpoints, so every client replica agrees with no shared state.
 * A key bound in the {@link AffinityMemory} goes to its bound endpoint while that is pickable.
 * Requests without a key are spread round-robin.
 *
 * <p>With bounded load (consistent hashing with bounded loads, Mirrokni, Thorup and Zadimoghaddam),
 * a key whose endpoint has as many requests in flight as {@code ⌈(1 + ε) × (all in flight + 1) / N⌉}
 * goes instead to the first endpoint below that in its sequence of alternatives: the owners of the
 * key's hash rehashed, the same sequence on every replica. So one hot key range cannot overload a
 * pod; keys move only while their pod is over the bound, and come back when it is not.
 */
final class Sticky implements PickerPolicy {
    private static final Logger log = LoggerFactory.getLogger(Sticky.class);
    static final Sticky POLICY = new Sticky(null, -1);
    /**
     * Above this many rankings (about 7 ms of a core here: a leave at 1,000 endpoints, 2^21 of them,
     * took 14.6 ms on 2026-12-07), a leave is not handed on at once: an
     * interim table picks as the updated one would until it is settled. A leave's rankings are
     * about the table's slots, so 769 endpoints and more (2^21 slots and up) take that path.
     */
    static final long LAZY_LEAVE_RANKINGS = 1L << 20;
    /** How long an interim table stands at least: the load balancer's default batching window. */
    static final Duration SETTLE_AFTER = Duration.ofMillis(50);
    /**
     * An interim table stands at least this many times what the last settle cost, so that settling
     * takes at most a tenth of a thread while pods keep leaving. Waiting longer moves work onto
     * picks: a key on a departed pod's slot ranks every present pod (tens of µs at 5,000 pods:
     * {@code SlotTableBenchmark.pickOnAnInterimTable}), and the pods departed since the settle grow
     * with the wait.
     */
    static final int SETTLE_SPACING = 9;
    /**
     * An interim table is settled at once, whatever the spacing, when the endpoints that left since
     * its settled table are more than this share (1/16) of the present ones: at most about 6% of
     * keys then rank the present pods on a pick (tens of µs at 5,000 pods), on average about
     * N/16 rankings a keyed pick at worst.
     */
    static final int SETTLE_AT_DEPARTED_SHARE = 16;
    /** How many alternatives a key over the bound tries before taking the least loaded of them. */
    static final int ALTERNATIVES = 8;

    private final AffinityMemory memory;
    /** The bound's ε, or negative when load is not bounded. */
    private final double epsilon;
    private final long lazyLeaveRankings;

    Sticky(AffinityMemory memory, double epsilon) {
        this(memory, epsilon, LAZY_LEAVE_RANKINGS);
    }

    /** With leaves of more than {@code lazyLeaveRankings} rankings settled later: tests lower it. */
    Sticky(AffinityMemory memory, double epsilon, long lazyLeaveRankings) {
        this.memory = memory;
        this.epsilon = epsilon;
        this.lazyLeaveRankings = lazyLeaveRankings;
    }

    @Override
    public PickerInstance newInstance(PickerContext context) {
        return new Instance(context, memory, epsilon, lazyLeaveRankings);
    }

    /** The total in flight, with bounded load: the bound is a share of it. */
    @Override
    public Set<LiveFigure> reads() {
        return epsilon >= 0 ? Set.of(LiveFigure.TOTAL_IN_FLIGHT) : Set.of();
    }

    @Override
    public String toString() {
        return describe(memory, epsilon);
    }

    private static String describe(AffinityMemory memory, double epsilon) {
        return "sticky" + (epsilon >= 0 ? " with load bounded at (1 + " + epsilon + ") x the mean" : "")
                + (memory == null ? "" : " with " + memory);
    }

    /**
     * One load balancer's sticky table, derived from one set to the next. A leave whose slots take
     * more than the lazy-leave rankings to hand on publishes an interim table at once, made in
     * O(N), that picks exactly as the updated table would, and asks the load balancer for a new
     * picker later ({@link PickerContext#requestNewPicker}), which settles it: so a pod that left
     * gets no key from the next picker on, even while a rolling restart removes pods faster than
     * a table update takes at thousands of pods. Sets arriving meanwhile stack on the same settled
     * table. A settle waits at least {@link #SETTLE_AFTER} and at least {@link #SETTLE_SPACING} times
     * what the last settle cost, so settling takes at most a tenth of a thread during a storm of
     * changes, unless the endpoints that left since the settled table are more than a
     * {@link #SETTLE_AT_DEPARTED_SHARE}th of the present ones: then it is due at once, so that picks
     * rank few departed pods' slots.
     *
     * <p>The settle itself runs off the serial context, on {@link PickerContext#executor}: it
     * updates the interim's settled table to the endpoints of that moment (both immutable), so sets
     * arriving meanwhile are applied at once as interim views. Its task hands the settled table
     * back through {@link PickerContext#requestNewPicker}, and the next {@code newPicker} re-stacks
     * the changes since on it ({@link SlotTable#lazily} is exact over any settled table). One
     * settle is in flight at a time. A settle that failed is logged and done on the serial context
     * at the next {@code newPicker}. Every method runs on the load balancer's serial context; the
     * settle task on the executor's thread touches only the volatile fields it hands back through.
     */
    private static final class Instance implements PickerInstance {
        private final PickerContext context;
        private final AffinityMemory memory;
        private final double epsilon;
        private final long lazyLeaveRankings;
        private final RoundRobin.Instance keyless = new RoundRobin.Instance();
        /**
         * The last table built: the next is derived from it, touching only the slots of pods that
         * came or went. An update equals a fresh build whichever table it starts from, so this only
         * saves work. Read and written on the load balancer's serial context only.
         */
        private SlotTable last;
        /** When an interim table is to be settled, on the context's clock; meaningful while {@code last} is interim. */
        private long settleAtNanos;
        /** What the last settle cost, on the context's clock; written by the settle task. */
        private volatile long settleCostNanos;
        /** Whether a settle task is in flight: set on the serial context, cleared by the task when done. */
        private volatile boolean settling;
        /** A settle task's table, until the serial context takes it up. */
        private final AtomicReference<SlotTable> handedBack = new AtomicReference<>();
        /** Set by a settle task that failed: the next due settle runs on the serial context. */
        private volatile boolean settleHere;

        Instance(PickerContext context, AffinityMemory memory, double epsilon, long lazyLeaveRankings) {
            this.context = context;
            this.memory = memory;
            this.epsilon = epsilon;
            this.lazyLeaveRankings = lazyLeaveRankings;
        }

        @Override
        public Picker newPicker(PickableEndpoints pickable) {
            last = next(pickable.endpoints());
            Picker keyed = new StickyPicker(last, pickable, memory, keyless.newPicker(pickable));
            return epsilon < 0 ? keyed : new BoundedLoadPicker(last, pickable, epsilon, keyed);
        }

        private SlotTable next(List<Endpoint> endpoints) {
            if (last == null) {
                return SlotTable.of(endpoints);
            }
            long now = context.scheduler().nanoTime();
            // Read before handedBack: a task in flight now hands back later and asks for a picker then.
            boolean inFlight = settling;
            if (!inFlight) {
                SlotTable handed = handedBack.getAndSet(null);
                if (handed != null) {
                    return adopt(handed, endpoints, now);
                }
                if (last.isInterim() && now - settleAtNanos >= 0) {
                    if (!settleHere) {
                        inFlight = !settleOffContext(last.settled(), List.copyOf(endpoints));
                    }
                    if (!inFlight && settleHere) {
                        settleHere = false;
                        SlotTable settled = last.update(endpoints);
                        settleCostNanos = context.scheduler().nanoTime() - now;
                        return settled;
                    }
                    handed = inFlight ? null : handedBack.getAndSet(null);
                    if (handed != null) {
                        return adopt(handed, endpoints, now);
                    }
                }
            }
            boolean wasInterim = last.isInterim();
            return nextLazily(last.lazily(endpoints, lazyLeaveRankings), wasInterim, now, !inFlight);
        }

        /**
         * The table over {@code endpoints} standing on {@code settled}, a settle's table, made for
         * the set of its start: the changes since stack anew on it, a leave among them starting a
         * new interim ({@link SlotTable#lazily} is exact over any settled table).
         */
        private SlotTable adopt(SlotTable settled, List<Endpoint> endpoints, long now) {
            last = settled;
            return nextLazily(settled.lazily(endpoints, lazyLeaveRankings), false, now, true);
        }

        /**
         * {@code next}, an interim table as the first of its kind unless {@code wasInterim}: asks
         * for the picker that settles it, unless a settle in flight will ({@code request} false).
         */
        private SlotTable nextLazily(SlotTable next, boolean wasInterim, long now, boolean request) {
            if (next.isInterim()) {
                if (!wasInterim) {
                    settleAtNanos = now + Math.max(SETTLE_AFTER.toNanos(), SETTLE_SPACING * settleCostNanos);
                }
                if ((long) next.departed() * SETTLE_AT_DEPARTED_SHARE > next.size() && settleAtNanos - now > 0) {
                    settleAtNanos = now;
                }
                if (request) {
                    // Again on every interim picker: the load balancer keeps one request, and one that
                    // came early (this call, say) must not leave the table unsettled.
                    context.requestNewPicker(Duration.ofNanos(Math.max(0, settleAtNanos - now)));
                }
            }
            return next;
        }

        /**
         * Submits {@code base.update(endpoints)} to the context's executor. Returns whether the task
         * ended before the executor returned (a direct executor's): its table, or its failure, is
         * there to take up now. Else the task hands the table back and asks for a new picker when
         * done. A failure (of the executor or the task) is logged and sets {@link #settleHere}.
         */
        private boolean settleOffContext(SlotTable base, List<Endpoint> endpoints) {
            settling = true;
            // Whichever of the task's end and execute's return comes second sees true: the task then
            // asks for a picker, or this method finds the table ready. Exactly one of them acts.
            AtomicBoolean oneEnded = new AtomicBoolean();
            Runnable task = () -> {
                try {
                    long start = context.scheduler().nanoTime();
                    handedBack.set(base.update(endpoints));
                    settleCostNanos = context.scheduler().nanoTime() - start;
                } catch (RuntimeException | Error e) {
                    settleHere = true;
                    if (e instanceof OutOfMemoryError) {
                        throw e;
                    }
                    log.error("{}: settling the sticky table over {} endpoints failed; settling it on the load"
                            + " balancer's serial context instead", context.service(), endpoints.size(), e);
                } finally {
                    settling = false;
                    if (!oneEnded.compareAndSet(false, true)) {
                        context.requestNewPicker(Duration.ZERO);
                    }
                }
            };
            try {
                context.executor().execute(task);
            } catch (RuntimeException e) {
                log.error("{}: the executor refused the sticky table's settle; settling it on the load balancer's"
                        + " serial context instead", context.service(), e);
                settling = false;
                settleHere = true;
                return true;
            }
            return !oneEnded.compareAndSet(false, true);
        }

        @Override
        public String toString() {
            return describe(memory, epsilon);
        }
    }

    private static final class StickyPicker implements Picker {
        private final SlotTable table;
        private final PickableEndpoints pickable;
        private final AffinityMemory memory;
        private final Picker keyless;

        StickyPicker(SlotTable table, PickableEndpoints pickable, AffinityMemory memory, Picker keyless) {
            this.table = table;
            this.pickable = pickable;
            this.memory = memory;
            this.keyless = keyless;
        }

        @Override
        public Endpoint pick(PickRequest request) {
            String key = request.stickyKey();
            if (key == null) {
                return keyless.pick(request);
            }
            if (memory != null) {
                InetSocketAddress bound = memory.boundTo(key);
                Endpoint endpoint = bound == null ? null : pickable.pickable(bound);
                if (endpoint != null) {
                    return endpoint;
                }
            }
            return table.ownerOf(Hashing.ofKey(key));
        }

        @Override
        public String toString() {
            return "sticky over " + pickable.endpoints().size() + " endpoints"
                    + (table.isInterim() ? ", an interim table until settled" : "");
        }
    }

    /** {@link StickyPicker}'s choice, unless the chosen endpoint is at the bound: then an alternative. */
    private static final class BoundedLoadPicker implements Picker {
        private final SlotTable table;
        private final PickableEndpoints pickable;
        private final double onePlusEpsilon;
        private final Picker sticky;
        private final Map<InetSocketAddress, EndpointStats> stats;

        BoundedLoadPicker(SlotTable table, PickableEndpoints pickable, double epsilon, Picker sticky) {
            this.table = table;
            this.pickable = pickable;
            this.onePlusEpsilon = 1 + epsilon;
            this.sticky = sticky;
            this.stats = new HashMap<>(pickable.endpoints().size() * 2);
            for (Endpoint e : pickable.endpoints()) {
                stats.put(e.socketAddress(), pickable.stats(e));
            }
        }

        @Override
        public Endpoint pick(PickRequest request) {
            Endpoint chosen = sticky.pick(request);
            String key = request.stickyKey();
            if (key == null) {
                return chosen;
            }
            long bound = (long) Math.ceil(onePlusEpsilon * (pickable.inFlight() + 1) / stats.size());
            int load = load(chosen);
            if (load < bound) {
                return chosen;
            }
            long hash = Hashing.ofKey(key);
            Endpoint best = chosen;
            for (int i = 1; i <= ALTERNATIVES; i++) {
                Endpoint alternative = table.ownerOf(Hashing.mix64(hash + i * 0x9E3779B97F4A7C15L));
                int alternativeLoad = load(alternative);
                if (alternativeLoad < bound) {
                    return alternative;
                }
                if (alternativeLoad < load) {
                    best = alternative;
                    load = alternativeLoad;
                }
            }
            return best;
        }

        private int load(Endpoint endpoint) {
            EndpointStats live = stats.get(endpoint.socketAddress());
            return live == null ? 0 : live.inFlight();
        }

        @Override
        public String toString() {
            return "sticky with bounded load over " + stats.size() + " endpoints";
        }
    }
}
