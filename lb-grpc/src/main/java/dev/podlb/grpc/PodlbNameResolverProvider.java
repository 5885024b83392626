package dev.podlb.grpc;

import dev.podlb.core.discovery.Discovery;
import dev.podlb.core.discovery.Target;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.Collection;
import java.util.List;

/**
 * A gRPC scheme resolved by one of podlb's discoveries: {@code <scheme>:///<path>} becomes podlb's
 * {@code <podlbScheme>:///<path>}. One subclass per scheme, because gRPC finds providers through
 * service files, one class per line.
 */
abstract class PodlbNameResolverProvider extends NameResolverProvider {
    private final String scheme;
    private final String podlbScheme;
    private final String example;

    PodlbNameResolverProvider(String scheme, String podlbScheme, String example) {
        this.scheme = scheme;
        this.podlbScheme = podlbScheme;
        this.example = example;
    }

    /**
     * Called by the channel's builder, on the application's thread.
     *
     * @throws IllegalArgumentException when the target is malformed, naming what is wrong and the
     *                                  expected form, so that {@code build()} fails rather than every call
     */
    @Override
    public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
        if (!scheme.equals(targetUri.getScheme())) {
            return null;
        }
        String path = targetUri.getRawPath();
        if (targetUri.getRawAuthority() != null && !targetUri.getRawAuthority().isEmpty()) {
            throw new IllegalArgumentException("gRPC target \"" + targetUri + "\" names an authority (\""
                    + targetUri.getRawAuthority() + "\"); expected " + scheme + ":///" + example
                    + ", with three slashes");
        }
        if (path == null || path.length() <= 1) {
            throw new IllegalArgumentException("gRPC target \"" + targetUri + "\" names nothing to resolve; expected "
                    + scheme + ":///" + example);
        }
        Target target;
        try {
            target = Discovery.check(podlbScheme + ":///" + path.substring(1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("gRPC target \"" + targetUri + "\": " + e.getMessage(), e);
        }
        Discovery discovery = args.getArg(PodlbGrpc.DISCOVERY);
        return new PodlbNameResolver(target, authority(target), discovery != null ? discovery : Discovery.defaults(),
                args.getSynchronizationContext(), args.getChannelLogger());
    }

    /** The authority calls carry ({@code :authority}, TLS server name) unless the channel overrides it. */
    abstract String authority(Target target);

    @Override
    public String getScheme() {
        return scheme;
    }

    @Override
    public String getDefaultScheme() {
        return scheme;
    }

    @Override
    protected boolean isAvailable() {
        return true;
    }

    @Override
    protected int priority() {
        return 5;
    }

    @Override
    public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
        return List.of(InetSocketAddress.class);
    }
}
