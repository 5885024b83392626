package dev.podlb.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * What a Flight Recorder recording of a JMH run says about podlb's share of the benchmark threads'
 * work: CPU samples ({@code jdk.ExecutionSample}) and allocation samples
 * ({@code jdk.ObjectAllocationSample}, weighted by the bytes each stands for) of the JMH worker
 * threads only (an in-process server's threads are left out). A sample is podlb's when, going out
 * from its innermost frame, a podlb frame ({@code dev.podlb} outside the benchmarks) comes before
 * OkHttp's {@code RealInterceptorChain.proceed}: what podlb does itself and what it asks OkHttp
 * or the JDK for (a chain copy, a map lookup), but not the call's own work further down the
 * chain, which plain OkHttp does too, nor the response body's read that podlb makes early for a
 * retry's sake ({@code ShortBodies.buffer}). It is charged to that podlb frame. Used by
 * {@link BenchmarkReport}; a plain value read on one thread.
 */
final class CallProfile {
    private static final String PODLB = "dev.podlb.";
    private static final String HARNESS = "dev.podlb.benchmarks.";

    long cpuSamples;
    long podlbCpuSamples;
    final Map<String, Long> podlbCpuFrames = new LinkedHashMap<>();
    long allocatedBytes;
    long podlbAllocatedBytes;
    final Map<String, Long> podlbAllocationFrames = new LinkedHashMap<>();

    private CallProfile() {}

    /** Reads a recording; the JMH worker threads are those whose name contains {@code jmh-worker}. */
    static CallProfile read(Path recording) throws IOException {
        CallProfile profile = new CallProfile();
        for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
            String type = event.getEventType().getName();
            if (type.equals("jdk.ExecutionSample") && isWorker(event.getThread("sampledThread"))) {
                profile.cpuSamples++;
                String frame = podlbFrame(event.getStackTrace());
                if (frame != null) {
                    profile.podlbCpuSamples++;
                    profile.podlbCpuFrames.merge(frame, 1L, Long::sum);
                }
            } else if (type.equals("jdk.ObjectAllocationSample") && isWorker(event.getThread())) {
                long weight = event.getLong("weight");
                profile.allocatedBytes += weight;
                String frame = podlbFrame(event.getStackTrace());
                if (frame != null) {
                    profile.podlbAllocatedBytes += weight;
                    profile.podlbAllocationFrames.merge(frame, weight, Long::sum);
                }
            }
        }
        return profile;
    }

    double podlbCpuShare() {
        return cpuSamples == 0 ? Double.NaN : podlbCpuSamples / (double) cpuSamples;
    }

    double podlbAllocationShare() {
        return allocatedBytes == 0 ? Double.NaN : podlbAllocatedBytes / (double) allocatedBytes;
    }

    /** The {@code count} frames charged the most, each with its share of {@code total}: "`Class.method` 2.4%, …". */
    static String top(Map<String, Long> frames, long total, int count) {
        List<Map.Entry<String, Long>> sorted = new ArrayList<>(frames.entrySet());
        sorted.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        List<String> cells = new ArrayList<>();
        for (Map.Entry<String, Long> frame : sorted.subList(0, Math.min(count, sorted.size()))) {
            cells.add(String.format(Locale.ROOT, "`%s` %.1f%%", frame.getKey(), 100.0 * frame.getValue() / total));
        }
        return cells.isEmpty() ? "none" : String.join(", ", cells);
    }

    /**
     * A copy of the JDK's {@code profile} settings that samples Java code every millisecond (not
     * every 10 ms) and allocations ten times as often, so a run of seconds on two threads that
     * spend most of their time waiting for the server still gives thousands of samples.
     */
    static Path settings(Path folder) throws IOException {
        String profile = Files.readString(Path.of(System.getProperty("java.home"), "lib", "jfr", "profile.jfc"));
        String denser = profile
                .replaceFirst("(control=\"method-sampling-java-interval\">)[^<]*<", "$11 ms<")
                .replaceFirst("(control=\"allocation-profiling\">)\\s*300/s\\s*<", "$13000/s<");
        Path file = folder.resolve("podlb-profile.jfc");
        Files.writeString(file, denser);
        return file;
    }

    private static boolean isWorker(RecordedThread thread) {
        return thread != null && thread.getJavaName() != null && thread.getJavaName().contains("jmh-worker");
    }

    private static final String CHAIN = "okhttp3.internal.http.RealInterceptorChain";
    private static final String SHORT_BODIES = "dev.podlb.okhttp.ShortBodies";

    /**
     * The innermost podlb frame ("SimpleClass.method") if no {@code proceed} of OkHttp's chain is
     * inside it, else null. OkHttp's and okio's reads inside {@code ShortBodies.buffer} are not
     * podlb's either: they read the response body, whose bytes the benchmark reads anyway (plain
     * OkHttp reads them in {@code ResponseBody.string()}); podlb reads them a moment earlier, into
     * the same buffer the caller then reads without a copy.
     */
    private static String podlbFrame(RecordedStackTrace stack) {
        if (stack == null) {
            return null;
        }
        boolean insideOthers = false;
        for (RecordedFrame frame : stack.getFrames()) {
            String type = frame.getMethod().getType().getName();
            if (type.startsWith(HARNESS) || type.equals(CHAIN) && frame.getMethod().getName().equals("proceed")) {
                return null;
            }
            if (type.startsWith(PODLB)) {
                if (insideOthers && type.equals(SHORT_BODIES)) {
                    return null;
                }
                return type.substring(type.lastIndexOf('.') + 1) + "." + frame.getMethod().getName();
            }
            insideOthers = true;
        }
        return null;
    }
}
