package io.fedge.coordinator;

import io.fedge.comm.tls.RevocationList;
import io.fedge.comm.tls.TlsContexts;
import io.fedge.core.ErrorCode;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Closes live connections whose client certificate the revocation list revokes, so that
 * {@code fedge certs revoke} ends a connected client's session within the list's poll interval,
 * not only its next handshake. When the list changes (on its watcher thread), every open TLS
 * connection's peer certificate is checked against the new snapshot; a revoked one is sent
 * {@code Error(REVOKED)} and {@code Bye(REFUSED)} on its event loop, closed and logged. Each
 * completed handshake is checked too, so a connection whose handshake was judged by the previous
 * list just before the swap is caught. Shared by every connection; sits after the TLS handler.
 */
@ChannelHandler.Sharable
final class RevocationEnforcer extends ChannelInboundHandlerAdapter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RevocationEnforcer.class);

    private final RevocationList revocations;
    private final Iterable<Channel> live;
    private final AutoCloseable subscription;
    private final AtomicLong closed = new AtomicLong();

    RevocationEnforcer(RevocationList revocations, Iterable<Channel> live) {
        this.revocations = revocations;
        this.live = live;
        this.subscription = revocations.onChange(this::enforce);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done && done.isSuccess()) {
            check(ctx.channel(), revocations.snapshot());
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void enforce(RevocationList.Snapshot snapshot) {
        for (Channel ch : live) {
            ch.eventLoop().execute(() -> check(ch, snapshot));
        }
    }

    /** Runs on {@code ch}'s event loop. */
    private void check(Channel ch, RevocationList.Snapshot snapshot) {
        if (!ch.isActive()) {
            return;
        }
        Optional<X509Certificate> peer = peerCertificate(ch);
        if (peer.isEmpty() || !snapshot.revokes(peer.get())) {
            return;
        }
        X509Certificate cert = peer.get();
        String id = TlsContexts.commonName(cert).orElse(cert.getSubjectX500Principal().getName());
        String serial = cert.getSerialNumber().toString(16);
        closed.incrementAndGet();
        log.info("client {} at {} is revoked (certificate serial {}): sending {} and closing its connection", id,
                ch.remoteAddress(), serial, ErrorCode.REVOKED);
        Refusals.refuseForGood(ch, ErrorCode.REVOKED, "the certificate of " + id + " (serial " + serial
                + ") has been revoked");
    }

    private static Optional<X509Certificate> peerCertificate(Channel ch) {
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        if (tls == null || !tls.handshakeFuture().isSuccess()) {
            return Optional.empty();
        }
        try {
            Certificate[] chain = tls.engine().getSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate leaf ? Optional.of(leaf) : Optional.empty();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    /** Connections closed because their certificate was revoked. */
    long closedConnections() {
        return closed.get();
    }

    /** Stops following the list. */
    @Override
    public void close() {
        try {
            subscription.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
