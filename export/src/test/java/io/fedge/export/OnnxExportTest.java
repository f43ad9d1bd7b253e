package io.fedge.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.ModelPresets;
import io.fedge.edge.EdgeModel;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ONNX Runtime loads fedge's ONNX export and agrees with fedge's int8 engine on the Fashion-MNIST test set. */
class OnnxExportTest {
    private static DataSet test;
    private static GlobalModel teacher;
    private static DataSet transfer;

    @BeforeAll
    static void teacher() throws Exception {
        LabeledImages train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN);
        test = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TEST).toDataSet();
        int[] first = new int[3000];
        int[] last = new int[3000];
        for (int i = 0; i < 3000; i++) {
            first[i] = i;
            last[i] = 57_000 + i;
        }
        MultiLayerNetwork net = new MultiLayerNetwork(ModelPresets.mlp(3, 0.05));
        net.init();
        for (DataSet batch : train.toDataSet(first).batchBy(32)) {
            net.fit(batch);
        }
        teacher = new GlobalModel(1, net.getLayerWiseConfigurations().toJson(), Dl4jModels.parameters(net));
        transfer = train.toDataSet(last);
    }

    @ParameterizedTest
    @CsvSource({"mlp-small, FULL_INTEGER", "cnn-small, FULL_INTEGER", "cnn-small, WEIGHT_ONLY"})
    void onnxRuntimeAgreesWithTheInt8EngineOnTheTestSet(String student, EdgeModel.Mode mode, @TempDir Path dir)
            throws Exception {
        KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        EdgeExport.Report report = EdgeExport.export(teacher, student, transfer, test,
                new Distiller(4, 0.7, 2, 64, 0.002, 1), new EdgeQuantizer(mode, 99.99), keys.getPrivate(),
                keys.getPublic(), dir);
        EdgeModel edge = EdgeModel.read(Files.readAllBytes(report.file()), keys.getPublic());
        byte[] onnx = Files.readAllBytes(dir.resolve("edge-model.onnx"));
        float[][] rows = test.getFeatures().toFloatMatrix();
        int n = rows.length;
        int[] shape = edge.inputShape();
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
            float[][] probabilities = (float[][]) result.get(0).getValue();
            assertEquals(n, probabilities.length);
            int agree = 0;
            for (int i = 0; i < n; i++) {
                float[] p = probabilities[i];
                int best = 0;
                for (int c = 1; c < p.length; c++) {
                    if (p[c] > p[best]) {
                        best = c;
                    }
                }
                agree += best == edge.classify(rows[i]) ? 1 : 0;
            }
            double rate = (double) agree / n;
            System.out.printf("%s %s: ONNX Runtime agrees with fedge's engine on %d of %d (%.2f%%)%n", student, mode,
                    agree, n, 100 * rate);
            assertTrue(rate >= 0.995, "agreement " + rate);
        }
    }
}
