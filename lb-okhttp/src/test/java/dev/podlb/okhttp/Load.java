package dev.podlb.okhttp;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.IntPredicate;

/** Load for fault tests: calls on several threads, the failures callers saw, and a line of figures. */
final class Load {
    private Load() {}

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs {@code calls} calls on each of {@code threads} threads; returns the failures the callers saw. */
    static List<String> run(int threads, int calls, Call call) throws InterruptedException {
        return runWhile(threads, i -> i < calls, call).failures();
    }

    /** Calls on each of {@code threads} threads until {@code done}; returns how many calls and which failed. */
    static Result runUntil(int threads, BooleanSupplier done, Call call) throws InterruptedException {
        return runWhile(threads, i -> !done.getAsBoolean(), call);
    }

    /** Each thread makes its i-th call while {@code goOn} accepts i; each call gets the id {@code <thread>-<i>}. */
    private static Result runWhile(int threads, IntPredicate goOn, Call call) throws InterruptedException {
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger calls = new AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread worker = new Thread(() -> {
                for (int i = 0; goOn.test(i); i++) {
                    calls.incrementAndGet();
                    try {
                        call.run(thread + "-" + i);
                    } catch (IOException | RuntimeException e) {
                        failures.add(e.toString());
                    }
                }
            }, "load-" + t);
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            worker.join();
        }
        return new Result(calls.get(), failures);
    }

    record Result(int calls, List<String> failures) {}

    @FunctionalInterface
    interface Call {
        void run(String id) throws IOException;
    }

    static void report(String scenario, String load, String faults, String result) {
        System.out.println("RELIABILITY | " + scenario + " | " + load + " | " + faults + " | " + result);
    }
}
