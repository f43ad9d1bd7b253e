package io.fedge.core.model;

import io.fedge.core.data.FashionMnist;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * fedge's Java max pooling against DL4J's own pooling (oneDNN's and libnd4j's), on the {@code cnn}
 * preset and real Fashion-MNIST images: the same outputs, the same gradient of every parameter,
 * and the same parameters after training steps.
 */
class JavaMaxPoolingTest {
    private static DataSet batch;
    private static String config;

    @BeforeAll
    static void load() throws Exception {
        batch = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN).head(32).toDataSet();
        config = ModelPresets.cnn(7, 0.05).toJson();
    }

    /** A fresh network of the cnn preset: with fedge's pooling when {@code java}, with DL4J's otherwise. */
    private static Network network(boolean java) {
        String before = System.getProperty(JavaMaxPooling.PROPERTY);
        try {
            System.setProperty(JavaMaxPooling.PROPERTY, java ? "java" : "dl4j");
            return Network.fromJson(config);
        } finally {
            if (before == null) {
                System.clearProperty(JavaMaxPooling.PROPERTY);
            } else {
                System.setProperty(JavaMaxPooling.PROPERTY, before);
            }
        }
    }

    private static long poolingLayersWithJavaHelper(Network net) {
        return java.util.Arrays.stream(((MultiLayerNetwork) net.model()).getLayers())
                .filter(l -> l instanceof SubsamplingLayer)
                .filter(l -> ((SubsamplingLayer) l).getHelper() instanceof JavaMaxPooling)
                .count();
    }

    private static long javaPoolingLayers(Network net) {
        return java.util.Arrays.stream(((MultiLayerNetwork) net.model()).getLayers())
                .filter(l -> l instanceof JavaSubsamplingLayer)
                .count();
    }

    @Test
    void installedForEveryPoolingLayerUnlessTurnedOff() {
        Network java = network(true);
        assertEquals(2, javaPoolingLayers(java), "the cnn's two max-pooling layers run fedge's forward");
        assertEquals(2, poolingLayersWithJavaHelper(java), "and its backward");
        MultiLayerNetwork net = (MultiLayerNetwork) java.model();
        for (int i = 0; i < net.getLayers().length; i++) {
            assertEquals(i, net.getLayer(i).getIndex(), "layer indices kept");
            String name = net.getLayerNames().get(i);
            assertTrue(net.getLayer(name) == net.getLayer(i), "the network finds layer " + name + " by name");
        }
        Network dl4j = network(false);
        assertEquals(0, javaPoolingLayers(dl4j));
        assertEquals(0, poolingLayersWithJavaHelper(dl4j));
    }

    @Test
    void sameOutputsGradientsAndTrainedParametersAsDl4j() {
        Network java = network(true);
        Network dl4j = network(false);
        float[] start = dl4j.parameters();
        java.setParameters(start);
        MultiLayerNetwork j = (MultiLayerNetwork) java.model();
        MultiLayerNetwork d = (MultiLayerNetwork) dl4j.model();

        INDArray outJ = j.output(batch.getFeatures(), false);
        INDArray outD = d.output(batch.getFeatures(), false);
        assertTrue(outJ.equalsWithEps(outD, 1e-6), "inference outputs");

        j.setInput(batch.getFeatures());
        j.setLabels(batch.getLabels());
        d.setInput(batch.getFeatures());
        d.setLabels(batch.getLabels());
        j.computeGradientAndScore();
        d.computeGradientAndScore();
        assertEquals(d.score(), j.score(), 1e-6, "loss");
        INDArray gradJ = j.gradient().gradient();
        INDArray gradD = d.gradient().gradient();
        assertTrue(gradD.norm2Number().doubleValue() > 1e-3, "a gradient worth comparing");
        double diff = gradJ.sub(gradD).amaxNumber().doubleValue();
        assertTrue(diff < 1e-5, "every parameter's gradient within 1e-5, largest difference " + diff);

        for (int step = 0; step < 5; step++) {
            j.fit(batch);
            d.fit(batch);
        }
        float[] trainedJ = java.parameters();
        float[] trainedD = dl4j.parameters();
        double moved = 0;
        double largest = 0;
        for (int i = 0; i < start.length; i++) {
            moved = Math.max(moved, Math.abs(trainedD[i] - start[i]));
            largest = Math.max(largest, Math.abs(trainedJ[i] - trainedD[i]));
        }
        assertTrue(moved > 1e-3, "training moved the parameters");
        assertTrue(largest < 1e-4, "after 5 steps every parameter within 1e-4 of DL4J's, largest " + largest);
    }

    @Test
    void anotherPoolingGoesToDl4j() {
        // 3x3 windows: not fedge's loop; the network still gives DL4J's answer
        String avg = config.replace("\"kernelSize\" : [ 2, 2 ]", "\"kernelSize\" : [ 3, 3 ]");
        assertFalse(avg.equals(config), "the preset's JSON names its pooling kernel");
        Network java = networkOf(avg, true);
        Network dl4j = networkOf(avg, false);
        java.setParameters(dl4j.parameters());
        INDArray a = ((MultiLayerNetwork) java.model()).output(batch.getFeatures(), false);
        INDArray b = ((MultiLayerNetwork) dl4j.model()).output(batch.getFeatures(), false);
        assertTrue(a.equalsWithEps(b, 1e-6));
        assertInstanceOf(MultiLayerNetwork.class, java.model());
    }

    private static Network networkOf(String json, boolean java) {
        String saved = config;
        try {
            config = json;
            return network(java);
        } finally {
            config = saved;
        }
    }

    @Test
    void aPoolingSettingOtherThanJavaOrDl4jIsRefusedByName() {
        String before = System.getProperty(JavaMaxPooling.PROPERTY);
        try {
            System.setProperty(JavaMaxPooling.PROPERTY, "fast");
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> Network.fromJson(config));
            assertEquals("-Dfedge.pooling is 'fast', expected java or dl4j", e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty(JavaMaxPooling.PROPERTY);
            } else {
                System.setProperty(JavaMaxPooling.PROPERTY, before);
            }
        }
    }
}
