package dev.podlb.okhttp;

import dev.podlb.core.Endpoint;
import okhttp3.Response;

/** Binds a session a pod just created ({@code learnCookie}) to that pod, so that its later requests go back to it. */
final class SessionLearning {
    private SessionLearning() {}

    static void learn(BalancedService service, Response response, Endpoint pod) {
        if (service.affinity == null) {
            return;
        }
        String session = Cookies.setBy(response, service.learnCookie);
        if (session != null && !session.isEmpty()) {
            service.affinity.bind(session, pod);
        }
    }
}
