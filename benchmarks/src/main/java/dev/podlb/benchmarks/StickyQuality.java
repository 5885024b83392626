package dev.podlb.benchmarks;

import dev.podlb.benchmarks.peers.PeerPicker;
import dev.podlb.benchmarks.peers.Peers;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;

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
        Moves onRemove = moves(before, assign(Peers.stickyByIndex(library, fewer), keys), (from, to) -> from.equals(removed));

        InetSocketAddress added = new InetSocketAddress("10.1.0.1", 8080);
        List<InetSocketAddress> more = new ArrayList<>(all);
        more.add(added);
        Moves onAdd = moves(before, assign(Peers.stickyByIndex(library, more), keys), (from, to) -> to.equals(added));
        return new Result(library, n, maxOverMean, (double) onRemove.moved() / keys, onRemove.wrong(),
                (double) onAdd.moved() / keys, onAdd.wrong());
    }

    /** How many keys changed endpoint, and how many of those moved other than as the change called for. */
    private record Moves(long moved, long wrong) {}

    /**
     * Counts the keys whose endpoint differs between {@code before} and {@code after}; a move that
     * {@code called} does not accept (given the key's old and new endpoint) is counted as wrong too.
     */
    private static Moves moves(InetSocketAddress[] before, InetSocketAddress[] after,
            BiPredicate<InetSocketAddress, InetSocketAddress> called) {
        long moved = 0;
        long wrong = 0;
        for (int i = 0; i < before.length; i++) {
            if (!before[i].equals(after[i])) {
                moved++;
                if (!called.test(before[i], after[i])) {
                    wrong++;
                }
            }
        }
        return new Moves(moved, wrong);
    }

    private static InetSocketAddress[] assign(PeerPicker picker, int keys) {
        InetSocketAddress[] assigned = new InetSocketAddress[keys];
        for (int i = 0; i < keys; i++) {
            assigned[i] = (InetSocketAddress) picker.pick(i);
        }
        return assigned;
    }
}
