package io.fedge.export;

import io.fedge.edge.EdgeLayer;
import io.fedge.edge.EdgeModel;
import io.fedge.edge.QuantizedConv2d;
import io.fedge.edge.QuantizedDense;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every quantized layer's weights dequantize to the float weights within half a step of their channel's scale. */
class EdgeQuantizerTest {
    @Test
    void everyLayerIsWithinHalfAQuantizationStep() {
        MultiLayerNetwork net = new MultiLayerNetwork(StudentPresets.byName("cnn-small", 9, 0.01, null));
        net.init();
        Nd4j.getRandom().setSeed(1);
        INDArray calibration = Nd4j.rand(DataType.FLOAT, 32, 784);
        EdgeModel edge = new EdgeQuantizer(EdgeModel.Mode.FULL_INTEGER, 100).quantize(net, calibration,
                new int[] {1, 28, 28}, Map.of());
        int[] dl4jLayer = {0, 2, 4, 5}; // the layers with weights, in order; pooling has none
        int checked = 0;
        for (EdgeLayer layer : edge.layers()) {
            byte[] q;
            float[] scales;
            int[] biases;
            float inScale;
            if (layer instanceof QuantizedConv2d c) {
                q = c.weights();
                scales = c.quantization().weightScales();
                biases = c.quantization().biases();
                inScale = c.quantization().inputScale();
            } else if (layer instanceof QuantizedDense d) {
                q = d.weights();
                scales = d.quantization().weightScales();
                biases = d.quantization().biases();
                inScale = d.quantization().inputScale();
            } else {
                continue;
            }
            int l = dl4jLayer[checked++];
            INDArray w = net.getLayer(l).getParam("W");
            INDArray b = net.getLayer(l).getParam("b");
            int out = scales.length;
            int per = q.length / out;
            for (int o = 0; o < out; o++) {
                for (int j = 0; j < per; j++) {
                    double exact;
                    if (w.rank() == 4) {
                        int k = (int) w.size(2);
                        exact = w.getDouble(o, j / (k * k), (j / k) % k, j % k);
                    } else {
                        exact = w.getDouble(j, o);
                    }
                    double back = q[o * per + j] * (double) scales[o];
                    assertTrue(Math.abs(back - exact) <= scales[o] / 2 * 1.0001,
                            "layer " + l + " weight " + o + "/" + j + ": " + exact + " -> " + back);
                }
                double unit = (double) inScale * scales[o];
                assertTrue(Math.abs(biases[o] * unit - b.getDouble(o)) <= unit / 2 * 1.0001, "bias " + o);
            }
        }
        assertEquals(4, checked);
    }
}
