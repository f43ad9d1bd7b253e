package io.fedge.comm;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Decides the process's {@link Transport} from the {@value #PROPERTY} system property and whether
 * epoll loads: {@code auto} (the default) takes epoll when it loads and NIO otherwise, {@code nio}
 * takes NIO without touching epoll, {@code epoll} insists on epoll. A pure function of its
 * arguments, so tests can hand it any availability.
 */
final class TransportSelection {
    /** The system property that chooses the transport. */
    static final String PROPERTY = "fedge.transport";


    private TransportSelection() {
    }

    /**
     * The outcome.
     *
     * @param transport the transport to use
     * @param fallback the one line to log at INFO when the transport is not the one asked for or
     *     the best one (NIO because epoll did not load, or because the property said so); empty when
     *     epoll was taken
     */
    record Choice(Transport transport, Optional<String> fallback) {
        Choice {
            Objects.requireNonNull(transport, "transport");
            Objects.requireNonNull(fallback, "fallback");
        }
    }

    /**
     * Chooses.
     *
     * @param requested the property's value; null or blank means {@code auto}; case is ignored
     * @param epollUnavailability why epoll cannot be used, or empty when it can; not called for {@code nio}
     * @throws IllegalArgumentException if {@code requested} is not {@code auto}, {@code epoll} or {@code nio}
     * @throws IllegalStateException if {@code requested} is {@code epoll} and epoll is unavailable
     */
    static Choice choose(String requested, Supplier<Optional<Throwable>> epollUnavailability) {
        String mode = requested == null || requested.isBlank() ? "auto" : requested.trim().toLowerCase(Locale.ROOT);
        switch (mode) {
            case "nio":
                return new Choice(Transport.NIO, Optional.of("fedge: Netty transport NIO (" + PROPERTY + "=nio)"));
            case "auto":
            case "epoll":
                break;
            default:
                throw new IllegalArgumentException("system property " + PROPERTY
                        + " must be auto, epoll or nio: '" + requested + "'");
        }
        Optional<Throwable> cause = epollUnavailability.get();
        if (cause.isEmpty()) {
            return new Choice(Transport.EPOLL, Optional.empty());
        }
        if (mode.equals("epoll")) {
            throw new IllegalStateException(PROPERTY + "=epoll but Netty's epoll transport is unavailable here: "
                    + CauseLine.of(cause.get()), cause.get());
        }
        return new Choice(Transport.NIO, Optional.of(
                "fedge: Netty transport NIO; epoll is unavailable here (" + CauseLine.of(cause.get()) + ")"));
    }
}
