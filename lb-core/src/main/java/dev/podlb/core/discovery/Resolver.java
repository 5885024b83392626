package dev.podlb.core.discovery;

import dev.podlb.core.EndpointSet;

/**
 * Turns a target into a stream of {@link EndpointSet}s: the whole current set each time it
 * changes. One resolver can serve several subscribers; it stops with {@link #close()}.
 */
public interface Resolver extends AutoCloseable {
    /**
     * Delivers every new set to {@code listener} until the subscription is closed; a set already
     * known is delivered at once, on the calling thread, unless the resolver is delivering a set
     * on another thread at that moment: that thread then delivers the known set too, in order.
     */
    Subscription subscribe(Listener listener);

    /** A short description for messages and logs, usually the target: {@code static:///10.0.0.1:8080}. */
    String describe();

    /** Stops resolving and releases what the resolver holds. */
    @Override
    void close();

    /** Receives a resolver's sets and errors. Must not block. */
    interface Listener {
        /** The service's endpoints are now {@code set}. */
        void onEndpoints(EndpointSet set);

        /** Resolution failed; the last set delivered stays current. */
        default void onError(Throwable error) {}

        /**
         * Resolution succeeded and found the set delivered last: nothing changed (a DNS refresh at
         * its TTL, an informer resync); an error reported before is over.
         */
        default void onUnchanged() {}
    }

    /** Ends one subscription. */
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }
}
