package io.fedge.export;

import io.fedge.edge.EdgeModel;
import io.fedge.edge.SparseQuantizedDense;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

class UnstructuredPrunerTest {
    @Test
    void theSmallestWeightsStayZeroThroughFineTuningAndAreStoredSparse() {
        MultiLayerNetwork student = new MultiLayerNetwork(StudentPresets.byName("mlp-small", 5, 0.01, null));
        student.init();
        Nd4j.getRandom().setSeed(4);
        INDArray x = Nd4j.rand(DataType.FLOAT, 64, 784);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 64, 10);
        for (int i = 0; i < 64; i++) {
            y.putScalar(i, i % 10, 1);
        }
        DataSet transfer = new DataSet(x, y);
        UnstructuredPruner pruner = new UnstructuredPruner(0.8, new Distiller(4, 0.7, 3, 16, 0.01, 1));
        MultiLayerNetwork pruned = pruner.prune(student, new Student.Preset("mlp-small"),
                new ClassifierShape(io.fedge.core.model.InputShape.FASHION_MNIST, 10), x,
                pruner.fineTune().targets(io.fedge.core.model.Network.of(student), transfer));
        for (int l = 0; l < pruned.getnLayers(); l++) {
            float[] w = pruned.getLayer(l).getParam("W").dup().data().asFloat();
            int zeros = 0;
            for (float v : w) {
                zeros += v == 0 ? 1 : 0;
            }
            double fraction = (double) zeros / w.length;
            assertTrue(zeros >= (int) Math.floor(0.8 * w.length) && fraction < 0.81,
                    "layer " + l + " is " + fraction + " zeros after fine-tuning");
        }
        EdgeModel edge = new EdgeQuantizer(EdgeModel.Mode.FULL_INTEGER, 100).quantize(pruned, x, new int[] {784}, Map.of());
        assertTrue(edge.layers().get(0) instanceof SparseQuantizedDense, "the 784x64 layer is stored sparse");
        assertTrue(edge.parameterBytes() < 0.75 * pruned.numParams(), edge.parameterBytes() + " bytes for "
                + pruned.numParams() + " parameters");
    }
}
