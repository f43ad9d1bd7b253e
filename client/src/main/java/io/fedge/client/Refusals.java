package io.fedge.client;

import io.fedge.comm.proto.ErrorCode;

import javax.net.ssl.SSLException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateRevokedException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which failures to join a coordinator retrying cannot fix: the coordinator's Errors that refuse
 * this client's identity or protocol, and TLS handshakes that fail on a certificate, whether this
 * client rejects the coordinator's (unknown CA, revoked, wrong name) or the coordinator rejects
 * this client's (the TLS alert it sends). Anything else (refused connections, timeouts, an
 * overloaded or rate-limiting coordinator) is worth retrying.
 */
final class Refusals {
    /** TLS alerts, as the JDK and BoringSSL spell them once upper-cased with underscores, that reject a certificate. */
    private static final List<String> CERTIFICATE_ALERTS = List.of("UNKNOWN_CA", "BAD_CERTIFICATE",
            "CERTIFICATE_REVOKED", "CERTIFICATE_UNKNOWN", "CERTIFICATE_EXPIRED", "UNSUPPORTED_CERTIFICATE",
            "CERTIFICATE_REQUIRED", "ACCESS_DENIED");

    private Refusals() {
    }

    /** Whether an Error with {@code code} from the coordinator means it will never take this client. */
    static boolean isPermanent(ErrorCode code) {
        return code == ErrorCode.UNAUTHENTICATED || code == ErrorCode.REVOKED || code == ErrorCode.UNSUPPORTED_PROTOCOL;
    }

    /**
     * Whether an Error answering this client's Hello means the coordinator will not take it as it
     * is: its Hello itself is out of bounds (more examples than the coordinator takes, an id it
     * does not accept), which the same client sends again on every attempt.
     */
    static boolean isPermanentAtRegistration(ErrorCode code) {
        return code == ErrorCode.LIMIT_EXCEEDED || code == ErrorCode.MALFORMED;
    }

    /**
     * One line saying why the TLS session failed for good, or empty if the failure is not about a
     * certificate and a retry may succeed.
     */
    static Optional<String> ofTls(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof CertificateRevokedException
                    || t instanceof CertPathValidatorException v && v.getReason() == CertPathValidatorException.BasicReason.REVOKED) {
                return Optional.of("this client rejects the coordinator's certificate: it is revoked");
            }
            if (t instanceof CertificateException || t instanceof CertPathValidatorException
                    || t instanceof java.security.cert.CertPathBuilderException) {
                return Optional.of("this client rejects the coordinator's certificate: " + message(t));
            }
        }
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SSLException && t.getMessage() != null) {
                String spelled = t.getMessage().toUpperCase(Locale.ROOT).replace(' ', '_');
                if (spelled.contains("CERTIFICATE_VERIFY_FAILED")) {
                    return Optional.of("this client rejects the coordinator's certificate: " + t.getMessage());
                }
                for (String alert : CERTIFICATE_ALERTS) {
                    if (spelled.contains(alert)) {
                        return Optional.of("the coordinator rejects this client's certificate (TLS alert "
                                + alert.toLowerCase(Locale.ROOT) + ")");
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** A short description of {@code failure} for a log line. */
    static String message(Throwable failure) {
        Throwable t = failure;
        while (t.getCause() != null && t.getCause() != t && (t.getMessage() == null
                || t instanceof io.netty.handler.codec.DecoderException)) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
