package dev.podlb.core.discovery;

/** Makes the resolver for a target of one scheme; {@link Discovery} shares what it makes. */
@FunctionalInterface
public interface ResolverFactory extends AutoCloseable {
    /** A new resolver for {@code target}, already resolving. */
    Resolver create(Target target);

    /** Releases what the factory holds (a client, a cache); its resolvers are closed first. */
    @Override
    default void close() {}
}
