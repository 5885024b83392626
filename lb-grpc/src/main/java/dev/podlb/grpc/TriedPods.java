package dev.podlb.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;

/**
 * The pods one call's attempts have reached, so that a retry (gRPC's retry policy, a hedged
 * attempt, a transparent retry) is picked among the others. It rides in the call's options, which
 * gRPC copies to every attempt of the call with their values shared; {@link Interceptor} puts a
 * fresh one on each call.
 *
 * <p>Attempts of one call may start on several threads at once (hedging): the set is replaced
 * whole under this object's monitor, and read without it.
 */
final class TriedPods {
    static final CallOptions.Key<TriedPods> KEY = CallOptions.Key.create("podlb.triedPods");

    private volatile Set<InetSocketAddress> tried = Set.of();

    /** Called by the stream tracer when an attempt's stream starts on {@code pod}. */
    synchronized void add(InetSocketAddress pod) {
        if (!tried.contains(pod)) {
            Set<InetSocketAddress> more = new HashSet<>(tried);
            more.add(pod);
            tried = Set.copyOf(more);
        }
    }

    Set<InetSocketAddress> get() {
        return tried;
    }

    /** Gives each call its own record of tried pods. */
    static final class Interceptor implements ClientInterceptor {
        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            return next.newCall(method, options.withOption(KEY, new TriedPods()));
        }

        @Override
        public String toString() {
            return "podlb: retries to other pods";
        }
    }
}
