package io.fedge.core.model.lean;

import io.fedge.core.data.FashionMnist;
import io.fedge.core.model.ModelPresets;
import io.fedge.core.model.Network;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lean path against DL4J's own {@code fit}, on real Fashion-MNIST rows: for the same batch and
 * parameters, the same loss, the same gradient of every parameter (as the listeners see it: summed
 * over the batch) and the same parameters after each step, within float tolerance, for every layer
 * kind, activation and loss it takes; networks it does not take are refused with the reason.
 */
class LeanNetworkTest {
    private static DataSet data;

    @BeforeAll
    static void load() throws Exception {
        data = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN).head(200).toDataSet();
    }

    /** Captures the flattened gradient listeners see, once per step. */
    private static final class Capture extends BaseTrainingListener {
        final java.util.List<float[]> gradients = new java.util.ArrayList<>();
        final java.util.function.Supplier<INDArray> gradient;

        Capture(java.util.function.Supplier<INDArray> gradient) {
            this.gradient = gradient;
        }

        @Override
        public void onGradientCalculation(Model model) {
            gradients.add(gradient.get().dup().data().asFloat());
        }
    }

    private static MultiLayerNetwork init(MultiLayerConfiguration conf) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /**
     * Trains two copies of {@code conf} (same initial parameters) for {@code steps} steps of
     * {@code batch} rows, wrapping around the data, one with DL4J's fit and one on the lean path,
     * and checks loss, gradient and parameters after every step.
     */
    private static void sameAsDl4j(MultiLayerConfiguration conf, int steps, int batch, double labelScale) {
        sameAsDl4j(conf, steps, batch, labelScale, 2e-4);
    }

    /** As above, the gradients within {@code gradientTolerance} (relative to the largest). */
    private static void sameAsDl4j(MultiLayerConfiguration conf, int steps, int batch, double labelScale,
                                   double gradientTolerance) {
        MultiLayerNetwork reference = init(conf.clone());
        MultiLayerNetwork leanNet = init(conf.clone());
        leanNet.setParams(reference.params().dup());
        LeanNetwork.Plan plan = LeanNetwork.plan(leanNet);
        assertTrue(plan.lean(), plan.describe());
        LeanNetwork lean = plan.network();
        Capture dl4jGradients = new Capture(reference::getFlattenedGradients);
        reference.setListeners(dl4jGradients);
        Capture leanGradients = new Capture(lean::gradient);
        leanNet.setListeners(leanGradients);
        INDArray features = data.getFeatures();
        INDArray labels = data.getLabels().mul(labelScale);
        int n = (int) features.rows();
        int classes = (int) reference.getOutputLayer().getParam("b").length();
        for (int step = 0; step < steps; step++) {
            int first = (step * batch) % n;
            int to = Math.min(n, first + batch);
            INDArray x = features.get(NDArrayIndex.interval(first, to), NDArrayIndex.all());
            INDArray y = labels.get(NDArrayIndex.interval(first, to), NDArrayIndex.interval(0, classes));
            // the same draws for dropout's masks on both sides (DL4J draws them from ND4J's generator)
            Nd4j.getRandom().setSeed(1000 + step);
            reference.fit(new DataSet(x.dup(), y.dup()));
            Nd4j.getRandom().setSeed(1000 + step);
            lean.fit(x, y);
            assertEquals(reference.score(), leanNet.score(), 1e-5 * Math.max(1, Math.abs(reference.score())),
                    "loss at step " + step);
            assertClose(dl4jGradients.gradients.get(step), leanGradients.gradients.get(step), gradientTolerance,
                    "gradient at step " + step);
            assertClose(reference.params().data().asFloat(), leanNet.params().data().asFloat(), 2e-5,
                    "parameters after step " + step);
        }
        assertEquals(steps, leanNet.getIterationCount());
    }

    /** Every element within {@code tolerance} of the reference, relative to the reference's largest magnitude. */
    private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": lengths");
        double scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(expected[i] - actual[i]);
            if (diff > worst) {
                worst = diff;
                at = i;
            }
        }
        assertTrue(scale > 0, what + ": all zero");
        assertTrue(worst <= tolerance * scale, what + ": element " + at + " differs by " + worst + " (expected "
                + (at < 0 ? 0 : expected[at]) + ", got " + (at < 0 ? 0 : actual[at]) + ", scale " + scale + ")");
    }

    @Test
    void mlpPresetStepsAsDl4jDoes() {
        // 200 rows in batches of 32: the seventh batch of each pass has 8 rows
        sameAsDl4j(ModelPresets.mlp(3, 0.05), 14, 32, 1.0);
    }

    @Test
    void everyActivationBiasFreeLayersAndPerLayerLearningRatesStepAsDl4jDoes() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(11).dataType(DataType.FLOAT)
                .updater(new Sgd(0.1)).list()
                .layer(new DenseLayer.Builder().nIn(784).nOut(40).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nOut(30).activation(Activation.SIGMOID).hasBias(false)
                        .updater(new Sgd(0.3)).build())
                .layer(new DenseLayer.Builder().nOut(20).activation(Activation.IDENTITY).build())
                .layer(new DenseLayer.Builder().nOut(20).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build())
                .build();
        sameAsDl4j(conf, 8, 25, 1.0);
    }

    @Test
    void cnnPresetStepsAsDl4jDoes() {
        // 3x3 'same' convolutions, ReLU folded into the 2x2 max pooling, flattened into dense layers
        sameAsDl4j(ModelPresets.cnn(3, 0.05), 8, 32, 1.0);
    }

    @Test
    void simpleCnnPresetStepsAsDl4jDoes() {
        // 5x5 'truncate' convolutions (28 -> 24 -> 12 -> 8 -> 4), then three dense layers
        sameAsDl4j(ModelPresets.simpleCnn(3, 0.05), 8, 32, 1.0);
    }

    @Test
    void cnnBatchNormPresetStepsAsDl4jDoes() {
        MultiLayerConfiguration conf = ModelPresets.byName("cnn-bn", 3, 0.05);
        assertEquals(207_066, init(conf).numParams());
        sameAsDl4j(conf, 8, 32, 1.0);
        assertEquals("lean training path: conv 3x3 1->16 same, batchnorm 16 maps log10-std, maxpool 2x2 relu, "
                + "conv 3x3 16->32 same, batchnorm 32 maps log10-std, maxpool 2x2 relu, dense 1568->128 relu, "
                + "output 128->10 softmax/mcxent", LeanNetwork.plan(init(conf)).describe());
    }

    @Test
    void paddedBiasFreeIdentityConvolutionsStepAsDl4jDoes() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(13).dataType(DataType.FLOAT)
                .updater(new Sgd(0.05)).convolutionMode(org.deeplearning4j.nn.conf.ConvolutionMode.Truncate).list()
                // 28 + 2 - 3 + 1 = 28 -> 14; 14 + 0 - 3 + 1 = 12 -> 6
                .layer(new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(4)
                        .hasBias(false).activation(Activation.IDENTITY).build())
                .layer(pool2x2(org.deeplearning4j.nn.conf.layers.SubsamplingLayer.PoolingType.MAX))
                .layer(new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(3, 3).nOut(6)
                        .activation(Activation.RELU).build())
                .layer(pool2x2(org.deeplearning4j.nn.conf.layers.SubsamplingLayer.PoolingType.MAX))
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build())
                .setInputType(org.deeplearning4j.nn.conf.inputs.InputType.convolutionalFlat(28, 28, 1))
                .build();
        sameAsDl4j(conf, 6, 40, 1.0);
    }

    @Test
    void batchNormOnRowsStepsAsDl4jDoes() {
        // dense -> BN (the variance kept as it is) -> ReLU layer, dense -> BN (the variance kept as log10
        // of the std, the builder's default) -> output; the running statistics move through their NoOp
        // "gradient", undivided, as in DL4J's loop
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(29).dataType(DataType.FLOAT)
                .updater(new Sgd(0.05)).list()
                .layer(new DenseLayer.Builder().nIn(784).nOut(32).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().useLogStd(false).build())
                .layer(new org.deeplearning4j.nn.conf.layers.ActivationLayer.Builder().activation(Activation.RELU)
                        .build())
                .layer(new DenseLayer.Builder().nOut(16).activation(Activation.TANH).build())
                .layer(new BatchNormalization.Builder().decay(0.8).eps(1e-3).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build())
                .build();
        sameAsDl4j(conf, 14, 32, 1.0);
        assertEquals("lean training path: dense 784->32 identity, batchnorm 32, relu (layer 2), dense 32->16 tanh, "
                + "batchnorm 16 log10-std, output 16->10 softmax/mcxent", LeanNetwork.plan(init(conf)).describe());
    }

    @Test
    void batchNormOnRowsWithAdamAndMomentumStepsAsDl4jDoes() {
        for (org.nd4j.linalg.learning.config.IUpdater updater : new org.nd4j.linalg.learning.config.IUpdater[] {
                new Adam(0.003), new org.nd4j.linalg.learning.config.Nesterovs(0.05, 0.9)}) {
            sameAsDl4j(new NeuralNetConfiguration.Builder().seed(31).dataType(DataType.FLOAT).updater(updater).list()
                    // no bias below the normalization: its gradient is zero but for rounding, which Adam's
                    // step (about lr times its sign) would turn into noise of lr's size
                    .layer(new DenseLayer.Builder().nIn(784).nOut(24).hasBias(false).activation(Activation.RELU)
                            .build())
                    // DL4J's BatchNormalization applies no activation of its own, whatever it is given
                    .layer(new BatchNormalization.Builder().activation(Activation.RELU).build())
                    .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX)
                            .build())
                    .build(), 10, 32, 1.0, 1e-3);
            // (parameters stay within 5e-6 of DL4J's; a gradient element can move 3e-4 where a ReLU unit
            // below the normalization sits at its kink, and the normalization scales what crosses it)
        }
    }

    @Test
    void batchNormOnImagesStepsAsDl4jDoes() {
        // conv (identity) -> BN -> ReLU layer -> pool (the ReLU folded in); conv (ReLU, applied on its own)
        // -> BN -> pool; 'same' 3x3: 28 -> 28 -> 14 -> 14 -> 7
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(37).dataType(DataType.FLOAT)
                .updater(new Sgd(0.05)).convolutionMode(org.deeplearning4j.nn.conf.ConvolutionMode.Same).list()
                .layer(new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(3, 3).nOut(4)
                        .activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().build())
                .layer(new org.deeplearning4j.nn.conf.layers.ActivationLayer.Builder().activation(Activation.RELU)
                        .build())
                .layer(pool2x2(org.deeplearning4j.nn.conf.layers.SubsamplingLayer.PoolingType.MAX))
                .layer(new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(3, 3).nOut(6)
                        .activation(Activation.RELU).build())
                .layer(new BatchNormalization.Builder().decay(0.5).useLogStd(false).build())
                .layer(pool2x2(org.deeplearning4j.nn.conf.layers.SubsamplingLayer.PoolingType.MAX))
                .layer(new DenseLayer.Builder().nOut(20).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build())
                .setInputType(org.deeplearning4j.nn.conf.inputs.InputType.convolutionalFlat(28, 28, 1))
                .build();
        sameAsDl4j(conf, 8, 32, 1.0);
        assertEquals("lean training path: conv 3x3 1->4 same, batchnorm 4 maps log10-std, maxpool 2x2 relu, conv 3x3 4->6 same, "
                + "relu (conv 4), batchnorm 6 maps, maxpool 2x2, dense 294->20 relu, output 20->10 softmax/mcxent",
                LeanNetwork.plan(init(conf)).describe());
    }

    @Test
    void convolutionsWithoutPoolingAndOtherActivationsStepAsDl4jDoes() {
        // tanh convolution into a ReLU convolution, then straight into a dense layer: each activation on its own
        sameAsDl4j(new NeuralNetConfiguration.Builder().seed(41).dataType(DataType.FLOAT)
                .updater(new Sgd(0.05)).list()
                .layer(new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(5, 5).stride(2, 2).nOut(3)
                        .activation(Activation.TANH).build())
                .layer(new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(3, 3).nOut(5)
                        .activation(Activation.RELU).build())
                .layer(new org.deeplearning4j.nn.conf.layers.ActivationLayer.Builder().activation(Activation.SIGMOID)
                        .build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build())
                .setInputType(org.deeplearning4j.nn.conf.inputs.InputType.convolutionalFlat(28, 28, 1))
                .build(), 6, 32, 1.0);
    }

    /** A small dense network whose every parameter trains with {@code updater}, the second layer with {@code second}. */
    private static MultiLayerConfiguration withUpdaters(org.nd4j.linalg.learning.config.IUpdater updater,
                                                        org.nd4j.linalg.learning.config.IUpdater second) {
        return new NeuralNetConfiguration.Builder().seed(17).dataType(DataType.FLOAT).updater(updater).list()
                .layer(new DenseLayer.Builder().nIn(784).nOut(32).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nOut(16).activation(Activation.TANH).updater(second).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build())
                .build();
    }

    @Test
    void dropoutOnFeaturesHiddenAndOutputInputsStepsAsDl4jDoes() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(19).dataType(DataType.FLOAT)
                .updater(new Sgd(0.05)).list()
                .layer(new DenseLayer.Builder().nIn(784).nOut(64).dropOut(0.8).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nOut(32).dropOut(0.5).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).dropOut(0.9)
                        .activation(Activation.SOFTMAX).build())
                .build();
        sameAsDl4j(conf, 8, 32, 1.0);
        assertEquals("lean training path: dense 784->64 relu dropout(keep 0.8), dense 64->32 relu dropout(keep 0.5), "
                + "output 32->10 softmax/mcxent dropout(keep 0.9)", LeanNetwork.plan(init(conf)).describe());
    }

    @Test
    void dropoutAboveImagesStepsAsDl4jDoes() {
        // the dense layer's input is the pooled images flattened; its input gradient goes back through the mask
        sameAsDl4j(new NeuralNetConfiguration.Builder().seed(23).dataType(DataType.FLOAT)
                .updater(new Sgd(0.05)).list()
                .layer(new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(3, 3).nOut(4)
                        .activation(Activation.RELU).build())
                .layer(pool2x2(org.deeplearning4j.nn.conf.layers.SubsamplingLayer.PoolingType.MAX))
                .layer(new DenseLayer.Builder().nOut(24).dropOut(0.7).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build())
                .setInputType(org.deeplearning4j.nn.conf.inputs.InputType.convolutionalFlat(28, 28, 1))
                .build(), 6, 32, 1.0);
    }

    @Test
    void adamStepsAsDl4jDoes() {
        sameAsDl4j(withUpdaters(new Adam(0.003), new Adam(0.01, 0.8, 0.99, 1e-6)), 10, 32, 1.0);
    }

    @Test
    void nesterovsMomentumStepsAsDl4jDoes() {
        sameAsDl4j(withUpdaters(new org.nd4j.linalg.learning.config.Nesterovs(0.05, 0.9), new Sgd(0.1)), 10, 32, 1.0);
    }

    @Test
    void resettingTheTrainingStateRestartsAdam() {
        String json = withUpdaters(new Adam(0.01), new Adam(0.01)).toJson();
        Network used = Network.fromJson(json);
        Network fresh = Network.fromJson(json);
        float[] start = fresh.parameters();
        INDArray x = data.getFeatures().get(NDArrayIndex.interval(0, 32), NDArrayIndex.all());
        INDArray y = data.getLabels().get(NDArrayIndex.interval(0, 32), NDArrayIndex.all());
        for (int i = 0; i < 3; i++) {
            used.fit(x, y);
        }
        used.setParameters(start);
        used.resetTrainingState();
        used.fit(x, y);
        fresh.fit(x, y);
        // Adam's first step from zero moments is lr * sign(g) (roughly): with stale moments it is not
        org.junit.jupiter.api.Assertions.assertArrayEquals(fresh.parameters(), used.parameters(), 0f);
    }

    @Test
    void squaredErrorOutputStepsAsDl4jDoes() {
        // a regression onto scaled one-hot targets, the mlp's regression preset
        sameAsDl4j(ModelPresets.mlpRegression(5, 0.02, 784, 10), 8, 32, 3.0);
    }

    @Test
    void aListenerRewritingTheGradientChangesTheStep() {
        MultiLayerNetwork a = init(ModelPresets.mlp(3, 0.05));
        MultiLayerNetwork b = init(ModelPresets.mlp(3, 0.05));
        b.setParams(a.params().dup());
        LeanNetwork lean = LeanNetwork.plan(b).network();
        // doubling the summed gradient must double the step: w1 - w0 = 2 (w1' - w0)
        b.setListeners(new BaseTrainingListener() {
            @Override
            public void onGradientCalculation(Model model) {
                lean.gradient().muli(2);
            }
        });
        LeanNetwork plain = LeanNetwork.plan(a).network();
        INDArray before = a.params().dup();
        INDArray x = data.getFeatures().get(NDArrayIndex.interval(0, 32), NDArrayIndex.all());
        INDArray y = data.getLabels().get(NDArrayIndex.interval(0, 32), NDArrayIndex.all());
        plain.fit(x, y);
        lean.fit(x, y);
        float[] single = a.params().sub(before).data().asFloat();
        float[] doubled = b.params().sub(before).data().asFloat();
        for (int i = 0; i < single.length; i++) {
            single[i] *= 2;
        }
        assertClose(single, doubled, 1e-4, "doubled step");
    }

    @Test
    void networkUsesTheLeanPathForTheMlpAndSaysSo() {
        Network net = Network.fromJson(ModelPresets.mlp(1, 0.05).toJson());
        assertEquals("lean training path: dense 784->200 relu, dense 200->200 relu, output 200->10 softmax/mcxent",
                net.trainingPath());
        String before = System.getProperty(LeanNetwork.PROPERTY);
        try {
            System.setProperty(LeanNetwork.PROPERTY, "dl4j");
            assertEquals("DL4J's fit: fedge.training=dl4j", Network.fromJson(ModelPresets.mlp(1, 0.05).toJson())
                    .trainingPath());
            System.setProperty(LeanNetwork.PROPERTY, "fast");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Network.fromJson(ModelPresets.mlp(1, 0.05).toJson()));
            assertEquals("-Dfedge.training is 'fast', expected lean or dl4j", e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty(LeanNetwork.PROPERTY);
            } else {
                System.setProperty(LeanNetwork.PROPERTY, before);
            }
        }
    }

    @Test
    void refusesWhatItDoesNotComputeWithTheReason() {
        assertEquals("layer 1 (BatchNormalization) has locked gamma and beta", refusal(new NeuralNetConfiguration.Builder()
                .seed(1).dataType(DataType.FLOAT).updater(new Sgd(0.1)).list()
                .layer(new DenseLayer.Builder().nIn(784).nOut(20).activation(Activation.RELU).build())
                .layer(new BatchNormalization.Builder().lockGammaBeta(true).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build())
                .build()));
        assertEquals("layer 0 (BatchNormalization) works on the features; the lean path takes it above another layer",
                refusal(new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT).updater(new Sgd(0.1))
                        .list()
                        .layer(new BatchNormalization.Builder().nIn(784).nOut(784).build())
                        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(784).nOut(10)
                                .activation(Activation.SOFTMAX).build())
                        .build()));
        assertEquals("layer 1 (LocalResponseNormalization) is not on the lean path",
                refusal(convolutionThen(new org.deeplearning4j.nn.conf.layers.LocalResponseNormalization.Builder()
                        .build())));
        assertEquals("layer 0 (DenseLayer) has dropout GaussianDropout (the lean path takes DL4J's Dropout without a "
                + "schedule on dense and output layers)", refusal(new NeuralNetConfiguration.Builder()
                .seed(1).dataType(DataType.FLOAT).updater(new Sgd(0.1)).list()
                .layer(new DenseLayer.Builder().nIn(784).nOut(20)
                        .dropOut(new org.deeplearning4j.nn.conf.dropout.GaussianDropout(0.5))
                        .activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build())
                .build()));
        assertEquals("layer 0 (DenseLayer) has updater AdaGrad (the lean path runs Sgd, Nesterovs and Adam without "
                + "schedules)", refusal(new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
                        .updater(new org.nd4j.linalg.learning.config.AdaGrad(0.01))
                        .list()
                        .layer(new DenseLayer.Builder().nIn(784).nOut(20).activation(Activation.RELU).build())
                        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX)
                                .build())
                        .build()));
        assertEquals("layer 0 (DenseLayer) has activation leakyrelu(a=0.01)", refusal(new NeuralNetConfiguration.Builder()
                .seed(1).dataType(DataType.FLOAT).updater(new Sgd(0.1)).list()
                .layer(new DenseLayer.Builder().nIn(784).nOut(20).activation(Activation.LEAKYRELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build())
                .build()));
        // a configuration edited after DL4J's builder checked it (a hand-written JSON can say the same)
        MultiLayerConfiguration mismatched = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
                .updater(new Sgd(0.1)).list()
                .layer(new DenseLayer.Builder().nIn(784).nOut(20).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nOut(10).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build())
                .build();
        ((DenseLayer) mismatched.getConf(1).getLayer()).setNIn(30);
        assertEquals("layer 1 (DenseLayer) takes 30 inputs, the layer below gives 20", refusal(mismatched));
        String softmaxMse = refusal(new NeuralNetConfiguration.Builder()
                .seed(1).dataType(DataType.FLOAT).updater(new Sgd(0.1)).list()
                .layer(new DenseLayer.Builder().nIn(784).nOut(20).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MSE).nOut(10).activation(Activation.SOFTMAX).build())
                .build());
        assertTrue(softmaxMse.startsWith("layer 1 (OutputLayer) has activation softmax with loss"), softmaxMse);
        assertEquals("layer 1 (SubsamplingLayer) is pooling AVG [2, 2] stride [2, 2]; the lean path takes 2x2 max "
                + "pooling with stride 2",
                refusal(convolutionThen(pool2x2(org.deeplearning4j.nn.conf.layers.SubsamplingLayer.PoolingType.AVG))));
        // 28 - 3 + 1 = 26 -> 13, odd
        assertEquals("layer 3 (SubsamplingLayer) pools 13x13 maps, the lean pooling takes even sizes",
                refusal(new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT).updater(new Sgd(0.1))
                        .list()
                        .layer(new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(3, 3).nOut(4)
                                .activation(Activation.RELU).build())
                        .layer(pool2x2(org.deeplearning4j.nn.conf.layers.SubsamplingLayer.PoolingType.MAX))
                        .layer(new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(1, 1).nOut(4)
                                .activation(Activation.RELU).build())
                        .layer(pool2x2(org.deeplearning4j.nn.conf.layers.SubsamplingLayer.PoolingType.MAX))
                        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX)
                                .build())
                        .setInputType(org.deeplearning4j.nn.conf.inputs.InputType.convolutionalFlat(28, 28, 1))
                        .build()));
    }

    private static org.deeplearning4j.nn.conf.layers.SubsamplingLayer pool2x2(
            org.deeplearning4j.nn.conf.layers.SubsamplingLayer.PoolingType type) {
        return new org.deeplearning4j.nn.conf.layers.SubsamplingLayer.Builder(type).kernelSize(2, 2).stride(2, 2).build();
    }

    /** A 3x3 convolution with 4 outputs and ReLU on 28x28 images, then {@code next}, then a softmax output. */
    private static MultiLayerConfiguration convolutionThen(org.deeplearning4j.nn.conf.layers.Layer next) {
        return new NeuralNetConfiguration.Builder()
                .seed(1).dataType(DataType.FLOAT).updater(new Sgd(0.1)).list()
                .layer(new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(3, 3).nOut(4)
                        .activation(Activation.RELU).build())
                .layer(next)
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build())
                .setInputType(org.deeplearning4j.nn.conf.inputs.InputType.convolutionalFlat(28, 28, 1))
                .build();
    }

    private static String refusal(MultiLayerConfiguration conf) {
        LeanNetwork.Plan plan = LeanNetwork.plan(init(conf));
        assertFalse(plan.lean(), plan.describe());
        assertNotNull(plan.reason());
        assertEquals("DL4J's fit: " + plan.reason(), plan.describe());
        return plan.reason();
    }

    @Test
    void refusesRowsOfTheWrongShape() {
        LeanNetwork lean = LeanNetwork.plan(init(ModelPresets.mlp(1, 0.05))).network();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> lean.fit(Nd4j.zeros(DataType.FLOAT, 4, 783), Nd4j.zeros(DataType.FLOAT, 4, 10)));
        assertEquals("the network takes [n, 784] features and [n, 10] labels, got [4, 783] and [4, 10]", e.getMessage());
    }
}
