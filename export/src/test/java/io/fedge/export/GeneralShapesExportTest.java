package io.fedge.export;

import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.InputShape;
import io.fedge.core.model.ModelPresets;
import io.fedge.core.model.Network;
import io.fedge.edge.EdgeModel;
import io.fedge.edge.ResidualBlock;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code fedge export} end to end on teachers of other shapes than Fashion-MNIST's: colour images
 * of 3x16x16 in 5 classes, vectors of 30 features in 2 classes, and a residual ComputationGraph
 * with BatchNorm; distilled into the presets, into a student given as a file, or exported as it is.
 */
class GeneralShapesExportTest {
    private static final KeyPair KEYS = keys();

    private static KeyPair keys() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static GlobalModel trained(Network net, DataSet data, int epochs) {
        for (int e = 0; e < epochs; e++) {
            for (DataSet batch : data.batchBy(32)) {
                net.fit(new org.nd4j.linalg.dataset.MultiDataSet(batch.getFeatures(), batch.getLabels()));
            }
        }
        return new GlobalModel(3, net.configJson(), net.parameters());
    }

    private static EdgeExport.Report export(GlobalModel teacher, Student student, DataSet transfer, DataSet test,
                                            Path dir) throws Exception {
        return EdgeExport.export(teacher, student, null, transfer, test, new Distiller(4, 0.7, 3, 32, 0.003, 1), null,
                new EdgeQuantizer(EdgeModel.Mode.FULL_INTEGER, 99.99), KEYS.getPrivate(), KEYS.getPublic(), dir);
    }

    /** The written model reads the teacher's shape and classes, and ONNX Runtime agrees with the engine on it. */
    private static EdgeModel written(EdgeExport.Report r, Path dir, InputShape shape, int classes, DataSet test)
            throws Exception {
        assertEquals(new ClassifierShape(shape, classes), r.shape());
        EdgeModel back = EdgeModel.read(Files.readAllBytes(r.file()), KEYS.getPublic());
        assertArrayEquals(EdgeQuantizer.shape(shape), back.inputShape());
        assertEquals(classes, back.classes());
        assertEquals(shape.toString(), back.metadata().get("input_shape"));
        assertEquals(Integer.toString(classes), back.metadata().get("classes"));
        double onnx = OnnxCheck.agreement(back, Files.readAllBytes(dir.resolve("edge-model.onnx")),
                test.getFeatures().toFloatMatrix());
        assertTrue(onnx >= 0.99, r.student() + ": ONNX Runtime agrees with the engine on " + onnx);
        return back;
    }

    @Test
    void colourImagesOfFiveClasses(@TempDir Path dir) throws Exception {
        InputShape.Image shape = new InputShape.Image(3, 16, 16);
        Network net = Network.of(new org.deeplearning4j.nn.multilayer.MultiLayerNetwork(
                ModelPresets.byName("cnn", 1, 0.05, shape, 5)));
        net.layers().init();
        GlobalModel teacher = trained(net, SyntheticData.of(shape, 5, 1500, 1, 2), 3);
        DataSet transfer = SyntheticData.of(shape, 5, 800, 1, 3);
        DataSet test = SyntheticData.of(shape, 5, 500, 1, 4);
        for (String student : StudentPresets.NAMES) {
            Path out = dir.resolve(student);
            EdgeExport.Report r = export(teacher, Student.parse(student), transfer, test, out);
            written(r, out, shape, 5, test);
            System.out.printf(java.util.Locale.ROOT, "3x16x16, 5 classes, %s: teacher %.3f, student %.3f, int8 %.3f, "
                    + "agreement %.3f%n", student, r.teacherAccuracy(), r.studentAccuracy(), r.edgeAccuracy(), r.agreement());
            assertTrue(r.teacherAccuracy() > 0.8, "the teacher learned: " + r.teacherAccuracy());
            assertTrue(r.edgeAccuracy() > 0.85, student + " int8 " + r.edgeAccuracy());
            assertTrue(r.agreement() >= 0.95, student + " int8 agrees with its float self on " + r.agreement());
        }
    }

    @Test
    void vectorsOfTwoClasses(@TempDir Path dir) throws Exception {
        InputShape.Vector shape = new InputShape.Vector(30);
        Network net = Network.fromJson(ModelPresets.byName("mlp", 1, 0.05, shape, 2).toJson());
        GlobalModel teacher = trained(net, SyntheticData.of(shape, 2, 1000, 5, 6), 2);
        DataSet transfer = SyntheticData.of(shape, 2, 600, 5, 7);
        DataSet test = SyntheticData.of(shape, 2, 400, 5, 8);
        EdgeExport.Report small = export(teacher, Student.parse("mlp-small"), transfer, test, dir.resolve("mlp"));
        written(small, dir.resolve("mlp"), shape, 2, test);
        assertEquals(30 * 64 + 64 + 64 * 2 + 2, small.studentParameters());
        assertTrue(small.edgeAccuracy() > 0.9 && small.agreement() >= 0.95, small.edgeAccuracy() + " / " + small.agreement());

        EdgeExport.Report itself = export(teacher, Student.None.INSTANCE, transfer, test, dir.resolve("none"));
        EdgeModel none = written(itself, dir.resolve("none"), shape, 2, test);
        assertEquals("none", none.metadata().get("student"));
        assertEquals(teacher.parameterCount(), itself.studentParameters());
        assertEquals(itself.teacherAccuracy(), itself.studentAccuracy());
        assertTrue(itself.agreement() >= 0.98, "the int8 teacher agrees with itself in fp32 on " + itself.agreement());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> export(teacher, Student.parse("cnn-small"), transfer, test, dir.resolve("cnn")));
        assertEquals("student 'cnn-small' is convolutional and needs images, but the teacher reads feature vectors of "
                + "30 values; use 'mlp-small' or a student configuration", e.getMessage());
        IllegalArgumentException wrongData = assertThrows(IllegalArgumentException.class, () -> export(teacher,
                Student.parse("mlp-small"), SyntheticData.of(new InputShape.Vector(31), 2, 10, 1, 1), test, dir));
        assertEquals("the transfer set has 31 values per example, the teacher reads 30", wrongData.getMessage());
        IllegalArgumentException wrongClasses = assertThrows(IllegalArgumentException.class, () -> export(teacher,
                Student.parse("mlp-small"), transfer, SyntheticData.of(shape, 3, 10, 1, 1), dir));
        assertEquals("the evaluation set has 3 classes, the teacher predicts 2", wrongClasses.getMessage());
        assertThrows(IllegalArgumentException.class, () -> EdgeExport.export(teacher, Student.None.INSTANCE, null, transfer,
                test, new Distiller(4, 0.7, 1, 32, 0.003, 1), new UnstructuredPruner(0.5,
                        new Distiller(4, 0.7, 1, 32, 0.003, 1)), new EdgeQuantizer(EdgeModel.Mode.FULL_INTEGER, 100),
                KEYS.getPrivate(), null, dir));
    }

    @Test
    void aResidualGraphTeacherIsExportedAsItIsOrDistilledIntoAStudentFile(@TempDir Path dir) throws Exception {
        InputShape.Image shape = new InputShape.Image(1, 12, 12);
        Network graph = Network.of(GraphExportTest.residualGraph(true, false, 2));
        GlobalModel teacher = trained(graph, SyntheticData.of(shape, 5, 1200, 9, 10), 2);
        DataSet transfer = SyntheticData.of(shape, 5, 600, 9, 11);
        DataSet test = SyntheticData.of(shape, 5, 400, 9, 12);

        EdgeExport.Report itself = export(teacher, Student.None.INSTANCE, transfer, test, dir.resolve("none"));
        EdgeModel edge = written(itself, dir.resolve("none"), shape, 5, test);
        assertEquals(2, edge.layers().stream().filter(l -> l instanceof ResidualBlock).count());
        System.out.printf(java.util.Locale.ROOT, "residual graph teacher %.3f, int8 as it is %.3f, agreement %.3f%n",
                itself.teacherAccuracy(), itself.edgeAccuracy(), itself.agreement());
        assertTrue(itself.teacherAccuracy() > 0.9, "teacher " + itself.teacherAccuracy());
        assertTrue(itself.agreement() >= 0.95, "int8 agrees with the float graph on " + itself.agreement());

        MultiLayerConfiguration small = new NeuralNetConfiguration.Builder().seed(4).dataType(DataType.FLOAT)
                .updater(new Adam(0.005)).convolutionMode(ConvolutionMode.Same).list()
                .layer(new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(6).activation(Activation.RELU).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).nOut(5)
                        .build())
                .setInputType(shape.inputType()).build();
        Path file = dir.resolve("tiny.json");
        Files.writeString(file, small.toJson());
        EdgeExport.Report distilled = export(teacher, Student.parse(file.toString()), transfer, test,
                dir.resolve("file"));
        written(distilled, dir.resolve("file"), shape, 5, test);
        assertEquals("tiny.json", distilled.student());
        assertEquals(6 * 9 + 6 + 6 * 5 + 5, distilled.studentParameters());
        assertTrue(distilled.agreement() >= 0.95, "int8 agrees with the float student on " + distilled.agreement());

        Path other = dir.resolve("other.json");
        Files.writeString(other, StudentPresets.byName("mlp-small", 1, 0.01, null).toJson());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> export(teacher, Student.parse(other.toString()), transfer, test, dir.resolve("other")));
        assertEquals("student other.json reads 784 features, predicts 10 classes, but the teacher reads 1x12x12 "
                + "images, predicts 5 classes", e.getMessage());
        Dl4jModels.network(teacher); // the teacher's file form still builds (nothing above changed it)
    }
}
