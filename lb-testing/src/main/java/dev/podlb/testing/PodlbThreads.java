package dev.podlb.testing;

import java.util.List;
import java.util.stream.Collectors;

/** The threads podlb started that are still alive: every one of them is named {@code podlb-…}. */
public final class PodlbThreads {
    private PodlbThreads() {}

    public static List<String> alive() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> name.startsWith("podlb-")).collect(Collectors.toList());
    }
}
