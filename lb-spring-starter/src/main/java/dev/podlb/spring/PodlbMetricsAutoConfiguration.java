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
     * {@code podlb.endpoints}: pods per service by state (ready, terminating, not_ready), each
     * discovered pod in exactly one, so that the meter without its state tag counts the pods;
     * {@code podlb.endpoints.ejected} and {@code podlb.endpoints.pickable}, which overlap those
     * states, are meters of their own; {@code podlb.panic}: 1 while a service is in panic mode
     * (too few healthy pods, so ejected ones are picked too), else 0.
     */
    @Bean
    MeterBinder podlbGauges(ObjectProvider<PodlbServices> services) {
        return registry -> services.ifAvailable(all -> all.loadBalancers().forEach((name, lb) -> {
            state(registry, name, "ready", lb, l -> l.status().ready());
            state(registry, name, "terminating", lb, l -> l.status().terminating());
            state(registry, name, "not_ready", lb, l -> {
                LoadBalancer.Status status = l.status();
                return status.known() - status.ready() - status.terminating();
            });
            Gauge.builder("podlb.endpoints.ejected", lb, l -> l.status().ejected())
                    .description("Pods of a service out of rotation after failures").tag("service", name).register(registry);
            Gauge.builder("podlb.endpoints.pickable", lb, l -> l.status().pickable())
                    .description("Pods of a service a call may go to now").tag("service", name).register(registry);
            Gauge.builder("podlb.panic", lb, l -> l.status().panic() ? 1 : 0)
                    .description("1 while the service is in panic mode: too few healthy pods, so ejected ones are picked too")
                    .tag("service", name).register(registry);
        }));
    }

    private static void state(MeterRegistry registry, String service, String state, LoadBalancer lb,
                              ToDoubleFunction<LoadBalancer> value) {
        Gauge.builder("podlb.endpoints", lb, value).description("Pods of a service discovered, by readiness")
                .tags("service", service, "state", state).register(registry);
    }
}
