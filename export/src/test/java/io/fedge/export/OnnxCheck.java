package io.fedge.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.fedge.edge.EdgeModel;

import java.nio.FloatBuffer;
import java.util.Map;

/** Runs an exported ONNX file in ONNX Runtime and compares it with fedge's engine. */
final class OnnxCheck {
    private OnnxCheck() {
    }

    /** ONNX Runtime's class probabilities for {@code rows}, shaped as the model's input. */
    static float[][] probabilities(byte[] onnx, int[] shape, float[][] rows) throws OrtException {
        int n = rows.length;
        long[] dims = new long[shape.length + 1];
        dims[0] = n;
        for (int i = 0; i < shape.length; i++) {
            dims[i + 1] = shape[i];
        }
        FloatBuffer input = FloatBuffer.allocate(n * rows[0].length);
        for (float[] r : rows) {
            input.put(r);
        }
        input.flip();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions());
             OnnxTensor tensor = OnnxTensor.createTensor(env, input, dims);
             OrtSession.Result result = session.run(Map.of("input", tensor))) {
            return (float[][]) result.get(0).getValue();
        }
    }

    /** The fraction of {@code rows} on which ONNX Runtime's top class is fedge's engine's. */
    static double agreement(EdgeModel edge, byte[] onnx, float[][] rows) throws OrtException {
        float[][] p = probabilities(onnx, edge.inputShape(), rows);
        int agree = 0;
        for (int i = 0; i < rows.length; i++) {
            int best = 0;
            for (int c = 1; c < p[i].length; c++) {
                if (p[i][c] > p[i][best]) {
                    best = c;
                }
            }
            agree += best == edge.classify(rows[i]) ? 1 : 0;
        }
        return (double) agree / rows.length;
    }

    /** The largest difference between ONNX Runtime's probabilities and fedge's engine's. */
    static double worstProbability(EdgeModel edge, byte[] onnx, float[][] rows) throws OrtException {
        float[][] p = probabilities(onnx, edge.inputShape(), rows);
        double worst = 0;
        for (int i = 0; i < rows.length; i++) {
            float[] q = edge.predict(rows[i]);
            for (int c = 0; c < q.length; c++) {
                worst = Math.max(worst, Math.abs(p[i][c] - q[c]));
            }
        }
        return worst;
    }
}
