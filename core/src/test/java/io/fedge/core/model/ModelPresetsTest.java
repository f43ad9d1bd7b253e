package io.fedge.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ModelPresetsTest {
    @Test
    void simpleCnnIsNiidBenchsArchitecture() {
        MultiLayerNetwork net = new MultiLayerNetwork(ModelPresets.byName("simplecnn", 1, 0.01));
        net.init();
        // conv 6x1x5x5+6 = 156, conv 16x6x5x5+16 = 2,416, dense 256x120+120 = 30,840 (16 maps of 4x4 after
        // 28 -5+1 = 24, /2 = 12, -5+1 = 8, /2 = 4), dense 120x84+84 = 10,164, dense 84x10+10 = 850
        assertEquals(156 + 2_416 + 30_840 + 10_164 + 850, net.numParams());
        INDArray out = net.output(Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 3, 784));
        assertArrayEquals(new long[] {3, 10}, out.shape());
        assertEquals(3.0, out.sumNumber().doubleValue(), 1e-4); // softmax rows
    }
}
