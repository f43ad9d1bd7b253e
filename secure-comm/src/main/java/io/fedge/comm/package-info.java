/**
 * The fedge wire: protobuf {@code Envelope} frames behind a length prefix with a hard maximum,
 * chunked transfers with sequence numbers and SHA-256 digests, and the mapping between
 * {@link io.fedge.core.ErrorCode} and the wire's error codes. Shared by the coordinator and the
 * client; holds no server or client logic.
 */
package io.fedge.comm;
