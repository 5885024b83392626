package dev.podlb.core.discovery;

import dev.podlb.core.EndpointSet;
import dev.podlb.core.internal.SerialContext;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The subscriber bookkeeping every resolver needs: keeps the current set, numbers new sets with
 * growing versions, drops a set equal to the current one, and hands sets and errors to every
 * subscriber.
 *
 * <p>Every subscriber sees the sets in version order, a new subscriber first the set current when
 * it subscribed, and no lock is held while a subscriber runs: each delivery is queued, under the
 * bookkeeping lock, on one {@link SerialContext}, and run after unlocking by the thread that
 * published it (or by the thread already delivering, if another is).
 */
public abstract class PublishingResolver implements Resolver {
    private static final Logger log = LoggerFactory.getLogger(PublishingResolver.class);

    private final Object lock = new Object();
    private final SerialContext deliveries = new SerialContext("resolver deliveries", Runnable::run);
    // Guarded by lock.
    private final List<Listener> listeners = new ArrayList<>();
    private long version;
    private volatile EndpointSet current;
    private volatile Throwable lastError;

    @Override
    public Subscription subscribe(Listener listener) {
        synchronized (lock) {
            listeners.add(listener);
            EndpointSet known = current;
            Throwable error = lastError;
            deliveries.executeLater(() -> {
                if (known != null) {
                    deliver(listener, l -> l.onEndpoints(known), known);
                }
                if (error != null) {
                    // A subscriber that comes after a failure learns of it, as those before it did.
                    deliver(listener, l -> l.onError(error), error);
                }
            });
        }
        deliveries.drain();
        return () -> {
            synchronized (lock) {
                listeners.remove(listener);
            }
        };
    }

    /** The last set published, or {@code null} before the first. */
    public EndpointSet current() {
        return current;
    }

    /**
     * Publishes {@code set} under the next version, unless it equals the current set; then the
     * subscribers hear that resolution found no change. Either way an error reported before is over.
     *
     * @return whether it was published
     */
    protected boolean publish(EndpointSet set) {
        boolean published;
        synchronized (lock) {
            lastError = null;
            published = !set.equals(current);
            if (published) {
                EndpointSet numbered = set.withVersion(++version);
                current = numbered;
                queueForAll(l -> l.onEndpoints(numbered), numbered);
            } else {
                queueForAll(Listener::onUnchanged, "an unchanged resolution");
            }
        }
        deliveries.drain();
        return published;
    }

    /** Tells every subscriber, and every later one until a set is published, that resolution failed. */
    protected void publishError(Throwable error) {
        synchronized (lock) {
            lastError = error;
            queueForAll(l -> l.onError(error), error);
        }
        deliveries.drain();
    }

    /** Called with the lock held, so that deliveries queue in the order the bookkeeping changed. */
    private void queueForAll(Consumer<Listener> event, Object what) {
        List<Listener> now = List.copyOf(listeners);
        deliveries.executeLater(() -> {
            for (Listener listener : now) {
                deliver(listener, event, what);
            }
        });
    }

    private void deliver(Listener listener, Consumer<Listener> event, Object what) {
        try {
            event.accept(listener);
        } catch (RuntimeException e) {
            log.warn("{}: a subscriber failed on {}", describe(), what, e);
        }
    }
}
