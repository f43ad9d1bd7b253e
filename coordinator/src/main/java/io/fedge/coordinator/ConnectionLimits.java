package io.fedge.coordinator;

/**
 * The coordinator's per-connection protections, fixed when it is built.
 *
 * @param maxConnections the most client connections open at once; further ones are refused with
 *     {@code OVERLOADED} before any TLS work
 * @param inboundBytesPerSecond the rate at which a connection's inbound byte budget refills
 * @param inboundByteBurst the most bytes a connection may send at once
 * @param slowReaderMillis how long a connection may stay unwritable (its peer not reading) before it is closed
 * @param maxPendingOutboundBytes the most bytes queued for one connection; a write beyond it closes the connection
 * @param writeBufferLowBytes below this many queued bytes a paused connection is writable (and read) again
 * @param writeBufferHighBytes above this many queued bytes a connection is unwritable and is no longer read
 */
record ConnectionLimits(int maxConnections, long inboundBytesPerSecond, long inboundByteBurst, long slowReaderMillis,
                        long maxPendingOutboundBytes, int writeBufferLowBytes, int writeBufferHighBytes) {
    static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    static final long DEFAULT_INBOUND_BYTES_PER_SECOND = 8L << 20;
    static final long DEFAULT_INBOUND_BYTE_BURST = 32L << 20;
    static final long DEFAULT_SLOW_READER_MILLIS = 120_000;
    static final long DEFAULT_MAX_PENDING_OUTBOUND_BYTES = 64L << 20;
    static final int DEFAULT_WRITE_BUFFER_LOW = 1 << 20;
    static final int DEFAULT_WRITE_BUFFER_HIGH = 4 << 20;

    static final ConnectionLimits DEFAULTS = new ConnectionLimits(DEFAULT_MAX_CONNECTIONS,
            DEFAULT_INBOUND_BYTES_PER_SECOND, DEFAULT_INBOUND_BYTE_BURST, DEFAULT_SLOW_READER_MILLIS,
            DEFAULT_MAX_PENDING_OUTBOUND_BYTES, DEFAULT_WRITE_BUFFER_LOW, DEFAULT_WRITE_BUFFER_HIGH);

    ConnectionLimits {
        if (maxConnections < 1 || !(inboundBytesPerSecond > 0) || inboundByteBurst < 1 || slowReaderMillis < 1
                || writeBufferLowBytes < 1 || writeBufferHighBytes < writeBufferLowBytes
                || maxPendingOutboundBytes <= writeBufferHighBytes) {
            throw new IllegalArgumentException("inconsistent connection limits: " + maxConnections + " connections, "
                    + inboundBytesPerSecond + " B/s, burst " + inboundByteBurst + " B, slow reader " + slowReaderMillis
                    + " ms, pending cap " + maxPendingOutboundBytes + " B, watermarks " + writeBufferLowBytes + "/"
                    + writeBufferHighBytes + " B (the cap must exceed the high watermark)");
        }
    }
}
