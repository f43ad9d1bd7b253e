package io.fedge.coordinator;

/**
 * The coordinator's protective limits, fixed when it is built.
 *
 * @param maxFrameBytes longest frame accepted; longer ones close the connection
 * @param chunkBytes payload bytes per chunk of a model download
 * @param maxUpdateChunks most chunks one update may announce
 * @param updateChunkElements most parameters one update chunk may encode
 * @param uploadBufferBytes bytes of verified-but-not-yet-folded uploads held at once
 * @param handshakeMillis time a new connection has to send its Hello
 * @param idleMillis time without any frame after which a connection is closed
 * @param heartbeatMillis how often clients are told to send heartbeats
 * @param messagesPerSecond the rate at which one connection's message budget refills
 * @param messageBurst the most messages one connection may send at once
 * @param transferProgressMillis an admitted upload that receives no chunk for this long is failed
 */
record CoordinatorLimits(int maxFrameBytes, int chunkBytes, int maxUpdateChunks, int updateChunkElements,
                         long uploadBufferBytes,
                         long handshakeMillis, long idleMillis, long heartbeatMillis,
                         double messagesPerSecond, int messageBurst, long transferProgressMillis) {
}
