package io.fedge.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedge.edge.EdgeModel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One {@code POST /infer} for a device that cannot run a model itself: rows in, predictions out,
 * with the gateway's newest stable int8 edge model and the pure-Java engine. A body is either JSON,
 * {@code {"inputs": [[x, ...], ...]}}, or ({@code Content-Type: application/octet-stream})
 * little-endian float32 rows back to back; each row has the model's input size (channel, row,
 * column order for images) and only finite values; at most {@link #MAX_ROWS} rows. The answer is
 * {@code {"version": V, "predictions": [{"class": k, "confidence": p}, ...]}}.
 */
final class InferenceRequest {
    /** The most rows one request may carry. */
    static final int MAX_ROWS = 64;
    /** The largest body taken: 64 rows of a 3x64x64 image as JSON numbers fit. */
    static final int MAX_BODY_BYTES = 4 << 20;
    static final ObjectMapper JSON = new ObjectMapper();

    private InferenceRequest() {
    }

    /** The rows of {@code body}, checked against {@code model}'s input. */
    static float[][] rows(byte[] body, boolean binary, EdgeModel model) {
        int size = model.inputSize();
        float[][] rows = binary ? binaryRows(body, size) : jsonRows(body, size);
        if (rows.length == 0) {
            throw new IllegalArgumentException("no inputs");
        }
        return rows;
    }

    private static float[][] binaryRows(byte[] body, int size) {
        if (body.length % (4L * size) != 0) {
            throw new IllegalArgumentException(body.length + " bytes are not whole rows of " + size + " float32 values");
        }
        int n = body.length / (4 * size);
        checkCount(n);
        ByteBuffer b = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
        float[][] rows = new float[n][size];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < size; i++) {
                rows[r][i] = finite(b.getFloat(), r, i);
            }
        }
        return rows;
    }

    private static float[][] jsonRows(byte[] body, int size) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("body is not JSON: " + firstLine(e));
        }
        JsonNode inputs = root == null ? null : root.get("inputs");
        if (inputs == null || !inputs.isArray()) {
            throw new IllegalArgumentException("body must be {\"inputs\": [[...], ...]}");
        }
        checkCount(inputs.size());
        float[][] rows = new float[inputs.size()][];
        for (int r = 0; r < rows.length; r++) {
            JsonNode row = inputs.get(r);
            if (!row.isArray() || row.size() != size) {
                throw new IllegalArgumentException("input " + r + " must be an array of " + size + " numbers");
            }
            rows[r] = new float[size];
            for (int i = 0; i < size; i++) {
                JsonNode v = row.get(i);
                if (!v.isNumber()) {
                    throw new IllegalArgumentException("input " + r + " value " + i + " is not a number");
                }
                rows[r][i] = finite((float) v.doubleValue(), r, i);
            }
        }
        return rows;
    }

    private static void checkCount(int n) {
        if (n > MAX_ROWS) {
            throw new IllegalArgumentException(n + " inputs, at most " + MAX_ROWS + " per request");
        }
    }

    private static float finite(float v, int row, int i) {
        if (!Float.isFinite(v)) {
            throw new IllegalArgumentException("input " + row + " value " + i + " is " + v);
        }
        return v;
    }

    private static String firstLine(IOException e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** Runs {@code model} on each row; the answer's JSON. */
    static byte[] answer(EdgeModel model, long version, float[][] rows) {
        ObjectNode out = JSON.createObjectNode().put("version", version);
        ArrayNode predictions = out.putArray("predictions");
        for (float[] row : rows) {
            float[] p = model.predict(row);
            int best = 0;
            for (int i = 1; i < p.length; i++) {
                if (p[i] > p[best]) {
                    best = i;
                }
            }
            predictions.addObject().put("class", best).put("confidence", p[best]);
        }
        try {
            return JSON.writeValueAsBytes(out);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
