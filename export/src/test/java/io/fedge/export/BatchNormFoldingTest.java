package io.fedge.export;

import io.fedge.core.model.InputShape;
import io.fedge.core.model.Network;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Folding BatchNorm into the layer before it, checked by DL4J itself: a network with BatchNorm
 * and the same network without it, whose layer carries the folded weights, give the same outputs.
 */
class BatchNormFoldingTest {
    private static final InputShape.Image IMAGE = new InputShape.Image(3, 7, 7);
    private static final InputShape.Vector VECTOR = new InputShape.Vector(20);

    @Test
    void theFoldIsTheFormulaByHand() {
        // one channel of two weights: k = 2 / sqrt(3 + 1) = 1; w' = w, b' = (1 - 0.5) * 1 + 0.25
        BatchNormFolding.Folded f = BatchNormFolding.fold(new float[] {0.5f, -2f, 3f, 4f}, new float[] {1f, 2f},
                new float[] {2f, 1f}, new float[] {0.25f, -1f}, new float[] {0.5f, 4f},
                BatchNormFolding.fromVariance(new float[] {3f, 15f}, 1.0));
        // channel 2: k = 1 / sqrt(16) = 0.25; w' = (0.75, 1), b' = (2 - 4) * 0.25 - 1 = -1.5
        assertArrayEquals(new float[] {0.5f, -2f, 0.75f, 1f}, f.w(), 1e-7f);
        assertArrayEquals(new float[] {0.75f, -1.5f}, f.b(), 1e-7f);
        // log10 std -1 and 0.5: variances 0.01 and 10, plus eps 0.5
        assertArrayEquals(new double[] {Math.sqrt(0.51), Math.sqrt(10.5)},
                BatchNormFolding.fromLog10Std(new float[] {-1f, 0.5f}, 0.5), 1e-6);
    }

    /** mode: how BatchNorm stores its variance; eps is large so that where it enters shows. */
    @ParameterizedTest(name = "{0}, log std {1}, locked gamma and beta {2}")
    @CsvSource({"conv, true, false", "conv, false, false", "dense, true, false", "dense, false, false",
            "conv, false, true"})
    void foldedAndUnfoldedNetworksAgree(String kind, boolean logStd, boolean locked) {
        boolean conv = kind.equals("conv");
        InputShape input = conv ? IMAGE : VECTOR;
        BatchNormalization.Builder bn = new BatchNormalization.Builder().useLogStd(logStd).eps(0.1);
        if (locked) {
            bn.lockGammaBeta(true).gamma(1.7).beta(-0.4);
        }
        MultiLayerNetwork withBn = TestNets.stack(input, List.of(first(conv), bn.build(),
                new ActivationLayer.Builder().activation(Activation.RELU).build()), 4, true, 3);
        Random r = new Random(9);
        for (org.deeplearning4j.nn.api.Layer l : withBn.getLayers()) {
            TestNets.randomStatistics(l.paramTable(), r);
        }
        NetworkLowering.Lowered lowered = NetworkLowering.lower(Network.of(withBn));
        assertEquals(2, lowered.ops().size(), "BatchNorm and the activation fold into the first layer");

        MultiLayerNetwork folded = TestNets.stack(input, List.of(firstWithRelu(conv)), 4, true, 3);
        FloatOp op = lowered.ops().get(0);
        float[] w = conv ? ((FloatOp.Conv) op).w() : ((FloatOp.Dense) op).w();
        float[] b = conv ? ((FloatOp.Conv) op).b() : ((FloatOp.Dense) op).b();
        INDArray wParam = folded.getLayer(0).getParam("W");
        wParam.assign(conv ? Nd4j.create(w, wParam.shape()) : Nd4j.create(w, new long[] {wParam.size(1), wParam.size(0)})
                .transpose());
        folded.getLayer(0).getParam("b").assign(Nd4j.create(b, folded.getLayer(0).getParam("b").shape()));
        folded.getLayer(1).getParam("W").assign(withBn.getLayer(3).getParam("W"));
        folded.getLayer(1).getParam("b").assign(withBn.getLayer(3).getParam("b"));

        INDArray x = TestNets.pixels(64, input.size(), 5);
        INDArray expected = withBn.output(x, false);
        INDArray actual = folded.output(x, false);
        double worst = expected.sub(actual).amaxNumber().doubleValue();
        double scale = TestNets.maxAbs(expected);
        assertTrue(scale > 0.1, "outputs are not trivially small: " + scale);
        assertTrue(worst <= 1e-5 * Math.max(1, scale), "folded network off by " + worst + " (outputs up to " + scale
                + ")");
    }

    private static Layer first(boolean conv) {
        return conv ? new ConvolutionLayer.Builder(3, 3).nOut(5).convolutionMode(ConvolutionMode.Same)
                .activation(Activation.IDENTITY).build()
                : new DenseLayer.Builder().nOut(6).activation(Activation.IDENTITY).build();
    }

    private static Layer firstWithRelu(boolean conv) {
        return conv ? new ConvolutionLayer.Builder(3, 3).nOut(5).convolutionMode(ConvolutionMode.Same)
                .activation(Activation.RELU).build()
                : new DenseLayer.Builder().nOut(6).activation(Activation.RELU).build();
    }
}
