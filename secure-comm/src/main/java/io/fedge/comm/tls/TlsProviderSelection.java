package io.fedge.comm.tls;

import io.fedge.comm.CauseLine;
import io.netty.handler.ssl.SslProvider;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Decides the process's TLS engine from the {@value #PROPERTY} system property and whether Netty's
 * OpenSSL engine loads: {@code auto} (the default) takes OpenSSL (BoringSSL from
 * {@code netty-tcnative-boringssl-static}) when it loads and the JDK's engine otherwise,
 * {@code jdk} takes the JDK's without touching OpenSSL, {@code openssl} insists on OpenSSL. A pure
 * function of its arguments.
 */
final class TlsProviderSelection {
    /** The system property that chooses the engine. */
    static final String PROPERTY = "fedge.tls.provider";


    private TlsProviderSelection() {
    }

    /**
     * The outcome.
     *
     * @param provider {@link SslProvider#OPENSSL} or {@link SslProvider#JDK}
     * @param fallback the one line to log at INFO when the JDK's engine is used; empty with OpenSSL
     */
    record Choice(SslProvider provider, Optional<String> fallback) {
        Choice {
            Objects.requireNonNull(provider, "provider");
            Objects.requireNonNull(fallback, "fallback");
        }
    }

    /**
     * Chooses.
     *
     * @param requested the property's value; null or blank means {@code auto}; case is ignored
     * @param openSslUnavailability why Netty's OpenSSL engine cannot be used, or empty when it can;
     *     not called for {@code jdk}
     * @throws IllegalArgumentException if {@code requested} is not {@code auto}, {@code openssl} or {@code jdk}
     * @throws IllegalStateException if {@code requested} is {@code openssl} and OpenSSL is unavailable
     */
    static Choice choose(String requested, Supplier<Optional<Throwable>> openSslUnavailability) {
        String mode = requested == null || requested.isBlank() ? "auto" : requested.trim().toLowerCase(Locale.ROOT);
        switch (mode) {
            case "jdk":
                return new Choice(SslProvider.JDK, Optional.of("fedge: TLS engine JDK (" + PROPERTY + "=jdk)"));
            case "auto":
            case "openssl":
                break;
            default:
                throw new IllegalArgumentException("system property " + PROPERTY
                        + " must be auto, openssl or jdk: '" + requested + "'");
        }
        Optional<Throwable> cause = openSslUnavailability.get();
        if (cause.isEmpty()) {
            return new Choice(SslProvider.OPENSSL, Optional.empty());
        }
        if (mode.equals("openssl")) {
            throw new IllegalStateException(PROPERTY + "=openssl but Netty's OpenSSL engine is unavailable here: "
                    + CauseLine.of(cause.get()), cause.get());
        }
        return new Choice(SslProvider.JDK, Optional.of(
                "fedge: TLS engine JDK; Netty's OpenSSL engine (netty-tcnative) is unavailable here ("
                        + CauseLine.of(cause.get()) + ")"));
    }
}
