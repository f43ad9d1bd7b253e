package io.fedge.export;

import io.fedge.core.model.InputShape;
import io.fedge.core.model.Network;
import io.fedge.edge.EdgeModel;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small DL4J networks with parameters chosen for tests, and comparisons of edge models against them. */
final class TestNets {
    private TestNets() {
    }

    /**
     * A stack of {@code hidden} layers and an output layer of {@code classes}: identity activation
     * and MSE ({@code logits}: DL4J's output is then the logits), or softmax.
     */
    static MultiLayerNetwork stack(InputShape input, List<Layer> hidden, int classes, boolean logits, long seed) {
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .updater(new Sgd(0.01)).list();
        for (Layer l : hidden) {
            b.layer(l);
        }
        b.layer(logits
                ? new OutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).nOut(classes)
                .build()
                : new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX)
                .nOut(classes).build());
        b.setInputType(input.inputType());
        MultiLayerConfiguration conf = b.build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /**
     * Sets every weight matrix and kernel to multiples of 1/128 with one weight of each output
     * channel at +-127/128, so that int8 quantization per channel (scale = max / 127 = 1/128) is
     * exact, and every bias to a random value; BatchNorm layers get random statistics.
     */
    static void exactParameters(Network net, long seed) {
        Random r = new Random(seed);
        for (org.deeplearning4j.nn.api.Layer layer : net.layerArray()) {
            Map<String, INDArray> p = layer.paramTable();
            if (p.containsKey("W")) {
                INDArray w = p.get("W");
                boolean conv = w.rank() == 4;
                long channels = conv ? w.size(0) : w.size(1);
                long per = w.length() / channels;
                float[] values = new float[(int) w.length()];
                for (int o = 0; o < channels; o++) {
                    for (int j = 0; j < per; j++) {
                        values[(int) (o * per + j)] = (r.nextInt(255) - 127) / 128f;
                    }
                    values[(int) (o * per + r.nextInt((int) per))] = (r.nextBoolean() ? 127 : -127) / 128f;
                }
                INDArray outMajor = Nd4j.create(values, conv ? w.shape() : new long[] {w.size(1), w.size(0)});
                w.assign(conv ? outMajor : outMajor.transpose());
            }
            if (p.containsKey("b")) {
                INDArray b = p.get("b");
                for (long i = 0; i < b.length(); i++) {
                    b.putScalar(i, r.nextGaussian() * 0.2);
                }
            }
            randomStatistics(p, r);
        }
    }

    /** Random BatchNorm statistics and affine parameters, where the layer has them. */
    static void randomStatistics(Map<String, INDArray> p, Random r) {
        fill(p.get("gamma"), r, 0.5, 1.5);
        fill(p.get("beta"), r, -0.3, 0.3);
        fill(p.get("mean"), r, -0.5, 0.5);
        fill(p.get("var"), r, 0.2, 2.0);
        fill(p.get("log10stdev"), r, -0.4, 0.3);
    }

    private static void fill(INDArray a, Random r, double lo, double hi) {
        if (a == null) {
            return;
        }
        for (long i = 0; i < a.length(); i++) {
            a.putScalar(i, lo + r.nextDouble() * (hi - lo));
        }
    }

    /** {@code n} rows of uniform [0, 1) values, like pixels. */
    static INDArray pixels(int n, long size, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.rand(DataType.FLOAT, n, size);
    }

    /** The largest absolute difference between the edge model's logits and {@code reference}, over all rows. */
    static double worst(EdgeModel edge, INDArray x, INDArray reference) {
        float[][] rows = x.toFloatMatrix();
        float[][] ref = reference.toFloatMatrix();
        double worst = 0;
        for (int i = 0; i < rows.length; i++) {
            float[] z = edge.logits(rows[i]);
            for (int c = 0; c < z.length; c++) {
                worst = Math.max(worst, Math.abs(z[c] - ref[i][c]));
            }
        }
        return worst;
    }

    /** The root mean square of the edge model's logit errors against {@code reference}, over that of the reference. */
    static double relativeRms(EdgeModel edge, INDArray x, INDArray reference) {
        float[][] rows = x.toFloatMatrix();
        float[][] ref = reference.toFloatMatrix();
        double err = 0;
        double size = 0;
        for (int i = 0; i < rows.length; i++) {
            float[] z = edge.logits(rows[i]);
            for (int c = 0; c < z.length; c++) {
                err += (z[c] - ref[i][c]) * (double) (z[c] - ref[i][c]);
                size += ref[i][c] * (double) ref[i][c];
            }
        }
        return Math.sqrt(err / size);
    }

    /** The fraction of rows where the edge model's top class is the reference's. */
    static double agreement(EdgeModel edge, INDArray x, INDArray reference) {
        float[][] rows = x.toFloatMatrix();
        int[] ref = reference.argMax(1).toIntVector();
        int same = 0;
        for (int i = 0; i < rows.length; i++) {
            same += edge.classify(rows[i]) == ref[i] ? 1 : 0;
        }
        return (double) same / rows.length;
    }

    /** The largest absolute value of {@code a}. */
    static double maxAbs(INDArray a) {
        return a.amaxNumber().doubleValue();
    }
}
