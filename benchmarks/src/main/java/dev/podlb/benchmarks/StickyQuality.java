package dev.podlb.benchmarks;

import dev.podlb.benchmarks.peers.PeerPicker;
import dev.podlb.benchmarks.peers.Peers;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How evenly a sticky picker spreads keys, and how many move when one endpoint in the middle of
 * the list is removed and when one is added, against the ideal 1/N and 1/(N+1).
 */
final class StickyQuality {
    /** One library at one size. */
    record Result(String library, int endpoints, double maxOverMean, double movedOnRemove, long movedFromStayingPods,
                  double movedOnAdd, long movedToOldPods) {}

    private StickyQuality() {}

    static Result measure(String library, int n, int keys) {
        List<InetSocketAddress> all = Peers.addresses(n);
        InetSocketAddress[] before = assign(Peers.stickyByIndex(library, all), keys);

        Map<InetSocketAddress, Integer> counts = new HashMap<>();
        for (InetSocketAddress a : before) {
            counts.merge(a, 1, Integer::sum);
        }
        int max = counts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        double maxOverMean = max / ((double) keys / n);

        InetSocketAddress removed = all.get(n / 2);
        List<InetSocketAddress> fewer = new ArrayList<>(all);
        fewer.remove(n / 2);
        InetSocketAddress[] afterRemove = assign(Peers.stickyByIndex(library, fewer), keys);
        long moved = 0;
        long movedFromStaying = 0;
        for (int i = 0; i < keys; i++) {
            if (!before[i].equals(afterRemove[i])) {
                moved++;
                if (!before[i].equals(removed)) {
                    movedFromStaying++;
                }
            }
        }

        InetSocketAddress added = new InetSocketAddress("10.1.0.1", 8080);
        List<InetSocketAddress> more = new ArrayList<>(all);
        more.add(added);
        InetSocketAddress[] afterAdd = assign(Peers.stickyByIndex(library, more), keys);
        long movedOnAdd = 0;
        long movedToOld = 0;
        for (int i = 0; i < keys; i++) {
            if (!before[i].equals(afterAdd[i])) {
                movedOnAdd++;
                if (!afterAdd[i].equals(added)) {
                    movedToOld++;
                }
            }
        }
        return new Result(library, n, maxOverMean, (double) moved / keys, movedFromStaying, (double) movedOnAdd / keys,
                movedToOld);
    }

    private static InetSocketAddress[] assign(PeerPicker picker, int keys) {
        InetSocketAddress[] assigned = new InetSocketAddress[keys];
        for (int i = 0; i < keys; i++) {
            assigned[i] = (InetSocketAddress) picker.pick(i);
        }
        return assigned;
    }
}
