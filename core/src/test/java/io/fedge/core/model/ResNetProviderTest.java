package io.fedge.core.model;

import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResNetProviderTest {
    @Test
    void itIsAResidualGraphWithBatchNormOfTheCountedSize() {
        ModelProvider.Configuration c = new ResNetProvider().configuration(new InputShape.Image(3, 8, 8), 4, 1, 0.1);
        assertEquals(Network.Kind.GRAPH, c.kind());
        Network net = Network.fromJson(c.json());
        // by hand: stem conv 3*9*16 (no bias), two block convs 16*9*16, three BatchNorms 4*16, dense 16*4+4
        assertEquals(3 * 9 * 16 + 2 * 16 * 9 * 16 + 3 * 64 + 16 * 4 + 4, net.numParams());
        GraphVertex add = net.graph().getConfiguration().getVertices().get("block_add");
        assertInstanceOf(ElementWiseVertex.class, add);
        assertEquals(List.of("stem_bn", "block_bn2"), net.graph().getConfiguration().getVertexInputs().get("block_add"),
                "the identity skip adds the stem's output to the block's");
        assertInstanceOf(LayerVertex.class, net.graph().getConfiguration().getVertices().get("stem_bn"));
        assertEquals(192, net.batchNormParameters().count());
        // PyTorch's default init: the stem's weights within 1/sqrt(27)
        double bound = 1 / Math.sqrt(27);
        for (float w : net.graph().getLayer("stem_conv").getParam("W").ravel().toFloatVector()) {
            assertTrue(Math.abs(w) <= bound, "weight " + w);
        }
    }

    @Test
    void itTrainsOnFlatChannelFirstRowsAndAnswersADistribution() {
        Network net = Network.fromJson(new ResNetProvider().configuration(InputShape.FASHION_MNIST, 10, 1, 0.1).json());
        INDArray x = Nd4j.rand(DataType.FLOAT, 6, 784);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 6, 10);
        for (int i = 0; i < 6; i++) {
            y.putScalar(i, i, 1f);
        }
        float[] before = net.parameters();
        net.fit(x, y);
        float[] after = net.parameters();
        assertNotEquals(before[0], after[0]);
        // BatchNorm's running mean moved from 0 by (1 - decay) times the batch mean of its input
        int mean = net.statistics().start(0);
        assertEquals(0f, before[mean], 0f);
        assertNotEquals(0f, after[mean]);
        INDArray out = net.output(x)[0];
        assertArrayEquals(new long[] {6, 10}, out.shape());
        assertEquals(6.0, out.sumNumber().doubleValue(), 1e-4);
    }
}
