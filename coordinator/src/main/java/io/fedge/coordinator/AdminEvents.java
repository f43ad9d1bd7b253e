package io.fedge.coordinator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The dashboard's live feed: server-sent events to at most {@link #MAX_SUBSCRIBERS} open
 * {@code /api/events} streams. {@code round} after every round, {@code status} with it and when
 * the number of connected clients changes (checked every second), {@code models} when the
 * registry changes, a {@code : ping} comment every 15 s. A subscriber that cannot keep up (its
 * channel stops being writable) is closed rather than buffered for; its browser reconnects and
 * reloads. Thread-safe.
 */
final class AdminEvents {
    private static final Logger log = LoggerFactory.getLogger(AdminEvents.class);
    static final int MAX_SUBSCRIBERS = 16;
    private static final long PING_SECONDS = 15;

    private final ChannelGroup subscribers = new DefaultChannelGroup("fedge-admin-events", GlobalEventExecutor.INSTANCE);
    private volatile Coordinator coordinator;
    private volatile int lastClients = -1;

    /** Adds {@code ch} (its response headers already written); false when the cap is reached. */
    synchronized boolean subscribe(Channel ch) {
        if (subscribers.size() >= MAX_SUBSCRIBERS) {
            return false;
        }
        subscribers.add(ch);
        ScheduledFuture<?> ping = ch.eventLoop().scheduleAtFixedRate(() -> send(ch, ": ping\n\n"),
                PING_SECONDS, PING_SECONDS, TimeUnit.SECONDS);
        ch.closeFuture().addListener(f -> ping.cancel(false));
        return true;
    }

    int subscribers() {
        return subscribers.size();
    }

    /** Sends event {@code event} with {@code data} to every subscriber. */
    void publish(String event, JsonNode data) {
        if (subscribers.isEmpty()) {
            return;
        }
        String json;
        try {
            json = AdminJson.MAPPER.writeValueAsString(data);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
        String frame = "event: " + event + "\ndata: " + json + "\n\n";
        for (Channel ch : subscribers) {
            send(ch, frame);
        }
    }

    private static void send(Channel ch, String frame) {
        if (!ch.isActive()) {
            return;
        }
        if (!ch.isWritable()) {
            log.info("admin API: closing the event stream to {}: it does not keep up", ch.remoteAddress());
            ch.close();
            return;
        }
        ByteBuf buf = Unpooled.copiedBuffer(frame, StandardCharsets.UTF_8);
        ch.writeAndFlush(new DefaultHttpContent(buf));
    }

    /** Sends a status event when the number of connected clients changed since the last one. */
    void tick() {
        Coordinator c = coordinator;
        if (c == null || subscribers.isEmpty()) {
            return;
        }
        int now = c.connectedClients();
        if (now != lastClients) {
            lastClients = now;
            publish("status", AdminJson.status(c));
        }
    }

    RoundListener roundListener(Coordinator c) {
        this.coordinator = c;
        return new RoundListener() {
            @Override
            public void roundFinished(RoundRecord record) {
                publish("round", AdminJson.round(record));
                publishStatus(c);
            }
        };
    }

    Consumer<ModelRegistry> registryListener(Coordinator c) {
        this.coordinator = c;
        return registry -> {
            publish("models", AdminJson.models(registry));
            publishStatus(c);
        };
    }

    private void publishStatus(Coordinator c) {
        if (!subscribers.isEmpty()) {
            lastClients = c.connectedClients();
            publish("status", AdminJson.status(c));
        }
    }

    void close() {
        subscribers.close();
    }
}
