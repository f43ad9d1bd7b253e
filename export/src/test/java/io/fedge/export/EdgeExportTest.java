package io.fedge.export;

import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.ModelPresets;
import io.fedge.edge.EdgeModel;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EdgeExportTest {
    @Test
    void theDistillationGradientIsTheDerivativeOfItsScore() {
        DistillationLoss loss = new DistillationLoss(4, 0.7);
        Nd4j.getRandom().setSeed(3);
        INDArray z = Nd4j.randn(DataType.DOUBLE, 5, 10).muli(2);
        INDArray teacher = DistillationLoss.soften(
                org.nd4j.linalg.ops.transforms.Transforms.softmax(Nd4j.randn(DataType.DOUBLE, 5, 10).muli(3)), 4);
        INDArray hard = Nd4j.zeros(DataType.DOUBLE, 5, 10);
        for (int i = 0; i < 5; i++) {
            hard.putScalar(i, (i * 3) % 10, 1.0);
        }
        INDArray labels = DistillationLoss.labels(teacher, hard);
        ActivationIdentity id = new ActivationIdentity();
        INDArray grad = loss.computeGradient(labels, z, id, null);
        double eps = 1e-6;
        for (int r = 0; r < 5; r++) {
            for (int c = 0; c < 10; c++) {
                INDArray plus = z.dup();
                plus.putScalar(r, c, z.getDouble(r, c) + eps);
                INDArray minus = z.dup();
                minus.putScalar(r, c, z.getDouble(r, c) - eps);
                double numeric = (loss.computeScore(labels, plus, id, null, false)
                        - loss.computeScore(labels, minus, id, null, false)) / (2 * eps);
                assertEquals(numeric, grad.getDouble(r, c), 1e-6, "d score / d z[" + r + "," + c + "]");
            }
        }
    }

    @Test
    void aDistilledInt8StudentIsSmallAgreesWithItsFloatSelfAndVerifies(@TempDir Path dir) throws Exception {
        LabeledImages train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN);
        DataSet teacherData = train.toDataSet(range(0, 4000));
        DataSet transfer = train.toDataSet(range(56_000, 60_000)); // held out from the teacher
        DataSet test = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TEST).head(1000).toDataSet();
        MultiLayerNetwork teacherNet = new MultiLayerNetwork(ModelPresets.mlp(7, 0.05));
        teacherNet.init();
        for (int e = 0; e < 2; e++) {
            for (DataSet batch : teacherData.batchBy(32)) {
                teacherNet.fit(batch);
            }
        }
        GlobalModel teacher = new GlobalModel(9, teacherNet.getLayerWiseConfigurations().toJson(),
                Dl4jModels.parameters(teacherNet));
        KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        EdgeExport.Report report = EdgeExport.export(teacher, "mlp-small", transfer, test,
                new Distiller(4, 0.7, 5, 64, 0.002, 1), new EdgeQuantizer(EdgeModel.Mode.FULL_INTEGER, 99.99),
                keys.getPrivate(), keys.getPublic(), dir);
        assertEquals(50_890, report.studentParameters());
        assertTrue(report.compression() > 10, "edge model " + report.compression() + "x smaller");
        assertTrue(report.teacherAccuracy() > 0.65, "teacher " + report.teacherAccuracy());
        assertTrue(report.studentAccuracy() > report.teacherAccuracy() - 0.05,
                "student " + report.studentAccuracy() + " vs teacher " + report.teacherAccuracy());
        assertTrue(report.agreement() >= 0.97, "int8 agrees with the float student on " + report.agreement());
        EdgeModel back = EdgeModel.read(Files.readAllBytes(report.file()), keys.getPublic());
        assertEquals("mlp-small", back.metadata().get("student"));
        assertEquals(String.format(java.util.Locale.ROOT, "%.4f", report.edgeAccuracy()), back.metadata().get("accuracy_int8"));
    }

    private static int[] range(int from, int to) {
        int[] out = new int[to - from];
        for (int i = 0; i < out.length; i++) {
            out[i] = from + i;
        }
        return out;
    }
}
