package dev.podlb.grpc;

import dev.podlb.core.Attempt;
import dev.podlb.core.health.Outcome;
import io.grpc.Status;
import java.util.EnumSet;
import java.util.Set;

/**
 * What a call's closing status says of the pod that answered it, as a {@link PodlbPolicy} says:
 * a listed code is a failure (DEADLINE_EXCEEDED a timeout, any other an I/O failure, which
 * podlb's ejection counts by default); CANCELLED, unless listed, ends the attempt without an
 * outcome; every other code is a success: the pod answered.
 */
final class StatusOutcomes {
    private final EnumSet<Status.Code> failures;

    StatusOutcomes(Set<Status.Code> failures) {
        this.failures = failures.isEmpty() ? EnumSet.noneOf(Status.Code.class) : EnumSet.copyOf(failures);
    }

    /** Called on the transport's thread that closes the stream. */
    void end(Attempt attempt, Status status) {
        Status.Code code = status.getCode();
        if (code == Status.Code.OK) {
            attempt.end(Outcome.success());
        } else if (failures.contains(code)) {
            Throwable cause = status.asException();
            attempt.end(code == Status.Code.DEADLINE_EXCEEDED ? Outcome.timeout(cause) : Outcome.ioFailure(cause));
        } else if (code == Status.Code.CANCELLED) {
            attempt.cancel();
        } else {
            attempt.end(Outcome.success());
        }
    }
}
