package io.fedge.core;

/**
 * Why a message or operation was refused. Each constant maps one-to-one to the wire protocol's
 * {@code fedge.v1.ErrorCode} of the same name, so an error raised anywhere in fedge can be sent
 * to the peer that caused it.
 */
public enum ErrorCode {
    /** A frame or payload that could not be parsed. */
    MALFORMED,
    /** A frame longer than the configured maximum. */
    FRAME_TOO_LARGE,
    /** A peer speaking a protocol version this side does not support. */
    UNSUPPORTED_PROTOCOL,
    /** A well-formed envelope whose body this side does not know. */
    UNKNOWN_MESSAGE,
    /** A message that requires a completed Hello, sent before it. */
    NOT_REGISTERED,
    /** A result or chunk for a round other than the current one. */
    WRONG_ROUND,
    /** A result computed from a model version other than the current one. */
    STALE_MODEL,
    /** A second result from the same client for the same round, or a replayed transfer id. */
    DUPLICATE_RESULT,
    /** A result that arrived after the round's deadline or after the round closed. */
    LATE_RESULT,
    /** A chunk whose sequence number is not the next one expected. */
    TRANSFER_OUT_OF_ORDER,
    /** A transfer that exceeds its announced or permitted length. */
    TRANSFER_TOO_LONG,
    /** A completed transfer whose SHA-256 does not match the announced one. */
    DIGEST_MISMATCH,
    /** An update whose size does not match the model's parameter count. */
    SHAPE_MISMATCH,
    /** An update holding NaN or infinite values. */
    NON_FINITE,
    /** A codec this side cannot decode or was not asked to use. */
    UNSUPPORTED_CODEC,
    /** A known message that is not valid in the current state of the session. */
    UNEXPECTED_MESSAGE,
    /** A Hello for a client id that already has a live session. */
    ALREADY_CONNECTED,
    /** A failure on this side that the peer did not cause. */
    INTERNAL,
    /** A peer whose certificate does not vouch for the identity it claims. */
    UNAUTHENTICATED,
    /** A model whose signature is missing or does not verify with the pinned coordinator key. */
    BAD_SIGNATURE,
    /** A sealed update chunk whose AES-GCM tag does not verify: the whole update is refused. */
    DECRYPTION_FAILED,
    /** A peer sending messages faster than this side allows; the connection is closed. */
    RATE_LIMITED,
    /** A secure-aggregation round that could not go on safely (too few clients left, a share that does not reconstruct). */
    SECURE_AGGREGATION_ABORTED,
    /** Bytes that are not an encoding the codec could have produced: corrupted, truncated or forged. */
    CODEC_ERROR,
    /** A value over one of this side's bounds: examples claimed, update norm, connections, bytes per second. */
    LIMIT_EXCEEDED,
    /** A transfer that made no progress within its progress deadline; the client is failed and its slot freed. */
    TRANSFER_STALLED,
    /** A peer whose certificate has been revoked: retrying cannot help. */
    REVOKED,
    /** A peer that does not read what it is sent fast enough; the connection is closed. */
    SLOW_CONSUMER,
    /** No room for another connection now; the peer may try again later. */
    OVERLOADED
}
