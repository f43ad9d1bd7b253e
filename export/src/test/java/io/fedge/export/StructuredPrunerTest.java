package io.fedge.export;

import io.fedge.core.model.InputShape;
import io.fedge.core.model.Network;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StructuredPrunerTest {
    private static final ClassifierShape FASHION = new ClassifierShape(InputShape.FASHION_MNIST, 10);

    private static MultiLayerNetwork student(String name) {
        return student(name, FASHION);
    }

    private static MultiLayerNetwork student(String name, ClassifierShape shape) {
        MultiLayerNetwork net = new MultiLayerNetwork(StudentPresets.build(name, StudentPresets.widths(name), 5, 0.01,
                null, shape));
        net.init();
        return net;
    }

    private static MultiLayerNetwork prune(StructuredPruner pruner, MultiLayerNetwork net, String name,
                                           ClassifierShape shape, DataSet transfer) {
        return pruner.prune(net, new Student.Preset(name), shape, transfer.getFeatures(),
                pruner.fineTune().targets(Network.of(net), transfer));
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp-small", "cnn-small"})
    void keepingEveryUnitWithoutFineTuningChangesNothing(String name) {
        MultiLayerNetwork net = student(name);
        Nd4j.getRandom().setSeed(2);
        INDArray x = Nd4j.rand(DataType.FLOAT, 16, 784);
        DataSet transfer = new DataSet(x, Nd4j.eye(10).getRows(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5).castTo(DataType.FLOAT));
        MultiLayerNetwork same = prune(new StructuredPruner(1.0, new Distiller(4, 0.7, 0, 8, 0.001, 1)), net, name,
                FASHION, transfer);
        assertEquals(net.numParams(), same.numParams());
        assertArrayEquals(net.output(x, false).dup().data().asFloat(), same.output(x, false).dup().data().asFloat(), 1e-6f);
    }

    /** Fashion-MNIST, and an odd-sided colour image whose pooled planes round up (15 -> 8 -> 4). */
    @ParameterizedTest
    @CsvSource({"mlp-small, 1, 28, 10", "cnn-small, 1, 28, 10", "cnn-small, 3, 15, 5", "mlp-small, 3, 15, 5"})
    void halvingKeepsTheStrongestUnitsAndTheirWiring(String name, int channels, int side, int classes) {
        ClassifierShape shape = new ClassifierShape(new InputShape.Image(channels, side, side), classes);
        MultiLayerNetwork net = student(name, shape);
        // silence half of the units of every hidden layer: pruning must remove exactly those, and
        // without fine-tuning the output must not change
        int[] layers = name.equals("mlp-small") ? new int[] {0} : new int[] {0, 2, 4};
        for (int l : layers) {
            INDArray w = net.getLayer(l).getParam("W");
            INDArray b = net.getLayer(l).getParam("b");
            boolean conv = w.rank() == 4;
            long units = conv ? w.size(0) : w.size(1);
            for (long u = 1; u < units; u += 2) {
                if (conv) {
                    for (long c = 0; c < w.size(1); c++) {
                        for (long y = 0; y < w.size(2); y++) {
                            for (long z = 0; z < w.size(3); z++) {
                                w.putScalar(new long[] {u, c, y, z}, 0);
                            }
                        }
                    }
                } else {
                    for (long r = 0; r < w.size(0); r++) {
                        w.putScalar(r, u, 0);
                    }
                }
                b.putScalar(u, 0);
            }
        }
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.FLOAT, 8, channels * side * side);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, 8, classes);
        for (int i = 0; i < 8; i++) {
            labels.putScalar(i, i % classes, 1);
        }
        DataSet transfer = new DataSet(x, labels);
        MultiLayerNetwork half = prune(new StructuredPruner(0.5, new Distiller(4, 0.7, 0, 8, 0.001, 1)), net, name,
                shape, transfer);
        int[] widths = StudentPresets.widths(name);
        for (int i = 0; i < widths.length; i++) {
            widths[i] /= 2;
        }
        MultiLayerNetwork expected = new MultiLayerNetwork(StudentPresets.build(name, widths, 5, 0.01, null, shape));
        expected.init();
        assertEquals(expected.numParams(), half.numParams());
        assertArrayEquals(net.output(x, false).dup().data().asFloat(), half.output(x, false).dup().data().asFloat(), 1e-5f);
    }

    @Test
    void onlyThePresetsArePrunedStructurally() {
        MultiLayerNetwork net = student("mlp-small");
        Student custom = new Student.Configuration("mine.json", net.getLayerWiseConfigurations());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new StructuredPruner(0.5,
                new Distiller(4, 0.7, 0, 8, 0.001, 1)).prune(net, custom, FASHION, Nd4j.zeros(1, 784),
                Nd4j.zeros(1, 20)));
        assertTrue(e.getMessage().contains("mine.json") && e.getMessage().contains("presets"), e.getMessage());
    }
}
