package io.fedge.coordinator;

import io.fedge.export.Distiller;
import io.fedge.export.EdgeQuantizer;
import org.nd4j.linalg.dataset.DataSet;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * How the coordinator produces edge models for inference-only devices: every {@code everyRounds}
 * rounds it distils the new global model into {@code student}, quantizes it, signs it with its
 * model-signing key and serves the newest one over HTTP at {@code GET /edge-model} on
 * {@code httpBind} (docs/edge.md). Devices fetch it with {@code io.fedge.edge.EdgeModelFetcher},
 * which checks the signature.
 *
 * @param everyRounds publish after every this many rounds
 * @param student a student preset ({@code mlp-small}, {@code cnn-small})
 * @param transfer data the coordinator may hold to distil on; never the evaluation set
 * @param test the evaluation set the accuracies in the edge model's metadata are measured on
 * @param tls a server context (no client authentication: {@code TlsContexts.serverWithoutClientAuth})
 *     to serve over HTTPS, or null for plain HTTP
 */
public record EdgePublishing(int everyRounds, String student, DataSet transfer, DataSet test, Distiller distiller,
                             EdgeQuantizer quantizer, InetSocketAddress httpBind, io.netty.handler.ssl.SslContext tls) {
    /** Served over plain HTTP (the file is signed, not encrypted). */
    public EdgePublishing(int everyRounds, String student, DataSet transfer, DataSet test, Distiller distiller,
                          EdgeQuantizer quantizer, InetSocketAddress httpBind) {
        this(everyRounds, student, transfer, test, distiller, quantizer, httpBind, null);
    }

    public EdgePublishing {
        if (everyRounds <= 0) {
            throw new IllegalArgumentException("everyRounds must be positive: " + everyRounds);
        }
        Objects.requireNonNull(student, "student");
        Objects.requireNonNull(transfer, "transfer");
        Objects.requireNonNull(test, "test");
        Objects.requireNonNull(distiller, "distiller");
        Objects.requireNonNull(quantizer, "quantizer");
        Objects.requireNonNull(httpBind, "httpBind");
        if (tls != null && !tls.isServer()) {
            throw new IllegalArgumentException("edge publishing needs a server TLS context");
        }
    }
}
