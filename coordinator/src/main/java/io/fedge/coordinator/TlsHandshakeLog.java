package io.fedge.coordinator;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.channels.ClosedChannelException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Logs every refused TLS handshake in one INFO line with the peer's address and why (certificate
 * from another authority, revoked, no certificate, ...), at most one line a second per reason with
 * a count of the rest, so an operator sees why a device cannot join without a flood of lines.
 * Counts refusals by reason. Shared by every connection; sits right after the {@code SslHandler}.
 */
@ChannelHandler.Sharable
final class TlsHandshakeLog extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(TlsHandshakeLog.class);

    /** Why a handshake failed, as far as the coordinator can tell. */
    enum Reason {
        UNKNOWN_CA("certificate not issued by the fedge CA"),
        REVOKED("certificate revoked"),
        REVOCATION_LIST_UNUSABLE("revocation list unusable or expired, refusing every client"),
        NO_CERTIFICATE("no client certificate"),
        BAD_CERTIFICATE("certificate refused"),
        NOT_TLS("not TLS"),
        TIMED_OUT("handshake timed out"),
        CLOSED("peer closed during the handshake"),
        OTHER("handshake failed");

        final String description;

        Reason(String description) {
            this.description = description;
        }
    }

    private final Map<Reason, LongAdder> refused = new EnumMap<>(Reason.class);
    private final RateLimitedLog lines = RateLimitedLog.perSecond(log);

    private final String endpoint;

    TlsHandshakeLog() {
        this("");
    }

    /** @param endpoint named in each line before "TLS handshake" (e.g. "admin API: "), or empty */
    TlsHandshakeLog(String endpoint) {
        this.endpoint = endpoint;
        for (Reason r : Reason.values()) {
            refused.put(r, new LongAdder());
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done && !done.isSuccess()) {
            Reason reason = classify(done.cause());
            refused.get(reason).increment();
            lines.info(reason.name(), endpoint + "TLS handshake with " + ctx.channel().remoteAddress() + " refused: "
                    + reason.description + " (" + detail(done.cause()) + ")");
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** Handshakes refused for {@code reason} so far. */
    long refused(Reason reason) {
        return refused.get(reason).sum();
    }

    /** Handshakes refused so far, for every reason. */
    long refusedTotal() {
        long n = 0;
        for (LongAdder a : refused.values()) {
            n += a.sum();
        }
        return n;
    }

    static Reason classify(Throwable cause) {
        if (cause instanceof SslHandshakeTimeoutException) {
            return Reason.TIMED_OUT;
        }
        if (cause instanceof NotSslRecordException) {
            return Reason.NOT_TLS;
        }
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("revocation list")) {
                return Reason.REVOCATION_LIST_UNUSABLE;
            }
            if (m.contains("is revoked")) {
                return Reason.REVOKED;
            }
            if (t instanceof CertPathBuilderException || t instanceof CertPathValidatorException
                    || m.contains("unable to find valid certification path") || m.contains("unknown_ca")
                    || m.contains("unknown ca")) {
                return Reason.UNKNOWN_CA;
            }
            if (m.contains("peer_did_not_return_a_certificate") || m.contains("empty client certificate chain")
                    || m.contains("certificate_required") || m.contains("certificate required")
                    || m.contains("peer not authenticated")) {
                return Reason.NO_CERTIFICATE;
            }
        }
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.security.cert.CertificateException) {
                return Reason.BAD_CERTIFICATE;
            }
            if (t instanceof ClosedChannelException) {
                return Reason.CLOSED;
            }
        }
        return Reason.OTHER;
    }

    private static String detail(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return m.length() > 200 ? m.substring(0, 200) : m;
    }
}
