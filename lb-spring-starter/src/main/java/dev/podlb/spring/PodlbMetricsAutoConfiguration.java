package dev.podlb.spring;

import dev.podlb.core.LoadBalancer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.function.ToDoubleFunction;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;

/** Micrometer meters for podlb, when the application has a {@link MeterRegistry}. */
@AutoConfiguration(before = PodlbAutoConfiguration.class,
        afterName = {"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
                "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"})
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean(MeterRegistry.class)
public class PodlbMetricsAutoConfiguration {
    @Bean
    PodlbMetrics podlbMetrics(MeterRegistry registry, PodlbProperties properties) {
        return new PodlbMetrics(registry, properties);
    }

    /**
     * {@code podlb.endpoints}: pods per service by state (ready, terminating, ejected, pickable);
     * {@code podlb.panic}: 1 while a service is in panic mode (too few healthy pods, so ejected ones
     * are picked too), else 0.
     */
    @Bean
    MeterBinder podlbGauges(ObjectProvider<PodlbServices> services) {
        return registry -> services.ifAvailable(all -> all.loadBalancers().forEach((name, lb) -> {
            gauge(registry, name, "ready", lb, l -> l.status().ready());
            gauge(registry, name, "terminating", lb, l -> l.status().terminating());
            gauge(registry, name, "ejected", lb, l -> l.status().ejected());
            gauge(registry, name, "pickable", lb, l -> l.status().pickable());
            Gauge.builder("podlb.panic", lb, l -> l.status().panic() ? 1 : 0)
                    .description("1 while the service is in panic mode: too few healthy pods, so ejected ones are picked too")
                    .tag("service", name).register(registry);
        }));
    }

    private static void gauge(MeterRegistry registry, String service, String state, LoadBalancer lb,
                              ToDoubleFunction<LoadBalancer> value) {
        Gauge.builder("podlb.endpoints", lb, value).description("Pods of a service, by state")
                .tags("service", service, "state", state).register(registry);
    }
}
