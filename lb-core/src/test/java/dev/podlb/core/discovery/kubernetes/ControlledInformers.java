package dev.podlb.core.discovery.kubernetes;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceList;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Store;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * Makes the resolver's informers: real fabric8 informers on the mock API server, each wrapped so
 * that a test can hold back what its store shows (as when an event is still on its way, or the
 * watch died), or have it list, sync and deliver its first events before {@code start()} returns
 * (as a fast API server may).
 */
final class ControlledInformers implements Function<FilterWatchListDeletable<EndpointSlice, EndpointSliceList,
        Resource<EndpointSlice>>, SharedIndexInformer<EndpointSlice>> {
    private static final Duration WAIT = Duration.ofSeconds(10);

    final List<Controlled> made = new CopyOnWriteArrayList<>();
    private final boolean syncedBeforeStartReturns;

    ControlledInformers(boolean syncedBeforeStartReturns) {
        this.syncedBeforeStartReturns = syncedBeforeStartReturns;
    }

    @Override
    public SharedIndexInformer<EndpointSlice> apply(
            FilterWatchListDeletable<EndpointSlice, EndpointSliceList, Resource<EndpointSlice>> slices) {
        Controlled controlled = new Controlled(slices.runnableInformer(0), syncedBeforeStartReturns);
        made.add(controlled);
        return controlled.proxy;
    }

    /** One real informer and the proxy the resolver holds. */
    static final class Controlled implements InvocationHandler {
        final SharedIndexInformer<EndpointSlice> real;
        final SharedIndexInformer<EndpointSlice> proxy;
        private final boolean syncedBeforeStartReturns;
        private final AtomicInteger delivered = new AtomicInteger();
        private final List<Runnable> held = new ArrayList<>();
        private volatile List<EndpointSlice> heldBack;

        @SuppressWarnings("unchecked")
        Controlled(SharedIndexInformer<EndpointSlice> real, boolean syncedBeforeStartReturns) {
            this.real = real;
            this.syncedBeforeStartReturns = syncedBeforeStartReturns;
            this.proxy = (SharedIndexInformer<EndpointSlice>) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {SharedIndexInformer.class}, this);
        }

        /**
         * From now on the resolver sees the store as it is now and hears no event, whatever the
         * watch brings, until {@link #release()}: as if the watch's events were still on their way.
         */
        void holdBack() {
            synchronized (this) {
                heldBack = List.copyOf(real.getStore().list());
            }
        }

        /** The events held back reach the resolver now, and its view of the store is the real one again. */
        void release() {
            List<Runnable> due;
            synchronized (this) {
                heldBack = null;
                due = new ArrayList<>(held);
                held.clear();
            }
            due.forEach(Runnable::run);
        }

        /** Waits until the real store holds {@code name} at {@code resourceVersion}: the watch brought it. */
        void awaitArrival(String name, String resourceVersion) {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (real.getStore().list().stream().noneMatch(slice -> slice.getMetadata().getName().equals(name)
                    && slice.getMetadata().getResourceVersion().equals(resourceVersion))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the watch did not bring " + name + " at " + resourceVersion + " within " + WAIT);
                }
                LockSupport.parkNanos(1_000_000);
            }
        }

        /** How many events the resolver has heard and handled. */
        int delivered() {
            return delivered.get();
        }

        /** Runs {@code event} now, or at {@link #release()} while held back. */
        private void deliver(Runnable event) {
            synchronized (this) {
                if (heldBack != null) {
                    held.add(event);
                    return;
                }
            }
            event.run();
            delivered.incrementAndGet();
        }

        @Override
        public Object invoke(Object self, Method method, Object[] args) throws Throwable {
            switch (method.getName()) {
                case "getStore":
                    return heldBack == null ? real.getStore() : heldBackStore(real.getStore());
                case "addEventHandler":
                    @SuppressWarnings("unchecked")
                    ResourceEventHandler<EndpointSlice> handler = (ResourceEventHandler<EndpointSlice>) args[0];
                    real.addEventHandler(counting(handler));
                    return proxy;
                case "start":
                    return syncedBeforeStartReturns ? startAndSync() : real.start();
                default:
                    try {
                        Object result = method.invoke(real, args);
                        return result == real ? proxy : result;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
            }
        }

        private Object startAndSync() throws Exception {
            real.start().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (delivered.get() < real.getStore().list().size() && System.nanoTime() < deadline) {
                LockSupport.parkNanos(1_000_000);
            }
            return CompletableFuture.completedFuture(null);
        }

        private ResourceEventHandler<EndpointSlice> counting(ResourceEventHandler<EndpointSlice> handler) {
            return new ResourceEventHandler<>() {
                @Override
                public void onAdd(EndpointSlice slice) {
                    deliver(() -> handler.onAdd(slice));
                }

                @Override
                public void onUpdate(EndpointSlice before, EndpointSlice after) {
                    deliver(() -> handler.onUpdate(before, after));
                }

                @Override
                public void onDelete(EndpointSlice slice, boolean finalStateUnknown) {
                    deliver(() -> handler.onDelete(slice, finalStateUnknown));
                }
            };
        }

        @SuppressWarnings("unchecked")
        private Store<EndpointSlice> heldBackStore(Store<EndpointSlice> store) {
            List<EndpointSlice> shown = heldBack;
            return (Store<EndpointSlice>) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Store.class},
                    (self, method, args) -> {
                        if (method.getName().equals("list")) {
                            return shown;
                        }
                        try {
                            return method.invoke(store, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }
    }
}
