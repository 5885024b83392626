package dev.podlb.grpc;

import dev.podlb.core.EndpointSet;
import dev.podlb.core.discovery.Resolver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The podlb resolver of one channel's load balancer: the sets of endpoints the channel's name
 * resolver gave the policy, numbered with growing versions, an equal set told as unchanged.
 *
 * <p><b>Threads.</b> {@link #update} runs on the channel's synchronization context, so sets are
 * published one at a time and in order; listeners are podlb load balancers, which only queue the
 * set for their own serial context.
 */
final class ChannelAddresses implements Resolver {
    private final String description;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private volatile EndpointSet current;
    private long version;

    ChannelAddresses(String description) {
        this.description = description;
    }

    /** Publishes what the channel's resolver found now. */
    void update(EndpointSet set) {
        if (set.equals(current)) {
            listeners.forEach(Listener::onUnchanged);
            return;
        }
        EndpointSet numbered = set.withVersion(++version);
        current = numbered;
        listeners.forEach(l -> l.onEndpoints(numbered));
    }

    /** Tells listeners that the channel's resolver failed; the last set stays. */
    void fail(Throwable error) {
        listeners.forEach(l -> l.onError(error));
    }

    /** Called on the channel's synchronization context, as {@link #update} is: the current set cannot be missed. */
    @Override
    public Subscription subscribe(Listener listener) {
        listeners.add(listener);
        EndpointSet known = current;
        if (known != null) {
            listener.onEndpoints(known);
        }
        return () -> listeners.remove(listener);
    }

    @Override
    public String describe() {
        return description;
    }

    /** The channel's resolver owns the discovery; nothing runs here. */
    @Override
    public void close() {}

    @Override
    public String toString() {
        return "ChannelAddresses{" + description + ", " + current + "}";
    }
}
