package io.fedge.core.model;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class Dl4jHelpersTest {

    /** The build the tests run on, passed down by Maven; the default is a oneDNN build. */
    private static final String CLASSIFIER = System.getProperty("fedge.nd4j.classifier", "");

    @Test
    void networksFromDl4jModelsUseOneDnnForConvolutionAndPoolingOnOneDnnBuilds() {
        assumeTrue(CLASSIFIER.startsWith("linux-x86_64"), "a CPU build: " + CLASSIFIER);
        MultiLayerNetwork net = Dl4jModels.instantiate(ModelPresets.cnn(1, 0.05).toJson());
        ConvolutionLayer conv = (ConvolutionLayer) net.getLayer(0);
        SubsamplingLayer pool = (SubsamplingLayer) net.getLayer(1);
        if (CLASSIFIER.contains("onednn")) {
            assertNotNull(conv.getHelper(), "libnd4j " + CLASSIFIER + " has oneDNN");
            assertEquals("MKLDNNConvHelper", conv.getHelper().getClass().getSimpleName());
            assertEquals("MKLDNNSubsamplingHelper", pool.getHelper().getClass().getSimpleName());
        } else {
            assertNull(conv.getHelper(), "libnd4j " + CLASSIFIER + " has no oneDNN");
        }
    }

    /** The oneDNN path and DL4J's own im2col path compute the same outputs and gradients. */
    @Test
    void oneDnnAgreesWithDl4jBuiltInLayers() {
        MultiLayerConfiguration conf = ModelPresets.cnn(7, 0.05);
        MultiLayerNetwork fast = Dl4jModels.instantiate(conf.toJson());
        MultiLayerNetwork plain = withHelpersDisabled(conf);
        assertNull(((ConvolutionLayer) plain.getLayer(0)).getHelper());
        plain.setParams(fast.params().dup());

        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.FLOAT, 16, 784);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 16, 10);
        for (int i = 0; i < 16; i++) {
            y.putScalar(i, (i * 7) % 10, 1f);
        }
        assertArrayEquals(plain.output(x).ravel().toFloatVector(), fast.output(x).ravel().toFloatVector(), 1e-5f);

        plain.setInput(x);
        plain.setLabels(y);
        plain.computeGradientAndScore();
        fast.setInput(x);
        fast.setLabels(y);
        fast.computeGradientAndScore();
        assertEquals(plain.score(), fast.score(), 1e-5);
        float[] expected = plain.gradient().gradient().toFloatVector();
        float[] actual = fast.gradient().gradient().toFloatVector();
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4f + 1e-3f * Math.abs(expected[i]), "gradient " + i);
        }
    }

    private static MultiLayerNetwork withHelpersDisabled(MultiLayerConfiguration conf) {
        String before = System.getProperty(Dl4jHelpers.DISABLE_PROPERTY);
        System.setProperty(Dl4jHelpers.DISABLE_PROPERTY, "true");
        try {
            MultiLayerNetwork net = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(conf.toJson()));
            net.init();
            return net;
        } finally {
            if (before == null) {
                System.clearProperty(Dl4jHelpers.DISABLE_PROPERTY);
            } else {
                System.setProperty(Dl4jHelpers.DISABLE_PROPERTY, before);
            }
        }
    }
}
