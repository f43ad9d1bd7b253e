package io.fedge.comm;

/** Constants both ends of a fedge connection agree on. */
public final class WireProtocol {
    /** The protocol version this build speaks; a Hello with another one is refused. */
    public static final int VERSION = 1;
    /** The Hello feature a client advertises when it can take part in secure aggregation. */
    public static final String FEATURE_SECURE_AGGREGATION = "secagg-v1";
    /**
     * The Hello feature of a gateway: its updates aggregate several devices
     * ({@code TrainResult.contributors}). Under mutual TLS only a certificate with
     * {@code KeyPurposes.GATEWAY} may announce it.
     */
    public static final String FEATURE_GATEWAY = "gateway-v1";
    /** The codec name of a secure-aggregation round's masked fixed-point updates. */
    public static final String MASKED_CODEC = "secagg-masked";
    /** The training metric in which a client reports its milliseconds of secure-aggregation work. */
    public static final String METRIC_SECAGG_CLIENT_MILLIS = "secagg_client_ms";
    /** Default payload bytes per chunk of a model download or an update upload. */
    public static final int DEFAULT_CHUNK_BYTES = 1 << 20;
    /**
     * Parameters per update chunk the coordinator asks for by default: 64 KiB of fp32, so the
     * coordinator's per-chunk scratch stays small next to the model.
     */
    public static final int DEFAULT_UPDATE_CHUNK_ELEMENTS = 1 << 14;
    /** Room for the envelope around a chunk's data. */
    public static final int FRAME_OVERHEAD_BYTES = 64 << 10;
    /** Default hard limit on one frame; larger frames close the connection. */
    public static final int DEFAULT_MAX_FRAME_BYTES = DEFAULT_CHUNK_BYTES + FRAME_OVERHEAD_BYTES;
    /** Bytes of the length prefix in front of every frame. */
    public static final int LENGTH_FIELD_BYTES = 4;

    private WireProtocol() {
    }
}
