package dev.podlb.core.discovery;

import dev.podlb.core.EndpointSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The subscriber bookkeeping every resolver needs: keeps the current set, numbers new sets, drops
 * a set equal to the current one, and hands sets and errors to every subscriber.
 */
public abstract class PublishingResolver implements Resolver {
    private static final Logger log = LoggerFactory.getLogger(PublishingResolver.class);

    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Object publishLock = new Object();
    private volatile EndpointSet current;
    private volatile Throwable lastError;
    private long version;

    @Override
    public Subscription subscribe(Listener listener) {
        listeners.add(listener);
        EndpointSet known = current;
        Throwable error = lastError;
        if (known != null) {
            deliver(listener, known);
        }
        if (error != null) {
            // A subscriber that comes after a failure learns of it, as those before it did.
            deliverError(listener, error);
        }
        return () -> listeners.remove(listener);
    }

    /** The last set published, or {@code null} before the first. */
    public EndpointSet current() {
        return current;
    }

    /**
     * Publishes {@code set} under the next version, unless it equals the current set.
     *
     * @return whether it was published
     */
    protected boolean publish(EndpointSet set) {
        EndpointSet numbered;
        synchronized (publishLock) {
            boolean hadError = lastError != null;
            lastError = null; // resolution succeeded, whether or not the set changed
            if (set.equals(current)) {
                if (hadError) {
                    for (Listener listener : listeners) {
                        deliverRecovered(listener);
                    }
                }
                return false;
            }
            numbered = set.withVersion(++version);
            current = numbered;
            // Delivered under the lock, so every subscriber sees the sets in version order.
            for (Listener listener : listeners) {
                deliver(listener, numbered);
            }
        }
        return true;
    }

    /** Tells every subscriber, and every later one until a set is published, that resolution failed. */
    protected void publishError(Throwable error) {
        lastError = error;
        for (Listener listener : listeners) {
            deliverError(listener, error);
        }
    }

    private void deliverError(Listener listener, Throwable error) {
        try {
            listener.onError(error);
        } catch (RuntimeException e) {
            log.warn("{}: a subscriber failed on a resolution error", describe(), e);
        }
    }

    private void deliverRecovered(Listener listener) {
        try {
            listener.onRecovered();
        } catch (RuntimeException e) {
            log.warn("{}: a subscriber failed on recovery", describe(), e);
        }
    }

    private void deliver(Listener listener, EndpointSet set) {
        try {
            listener.onEndpoints(set);
        } catch (RuntimeException e) {
            log.warn("{}: a subscriber failed on {}", describe(), set, e);
        }
    }
}
