package io.fedge.core.model;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RowLayoutTest {
    private static NeuralNetConfiguration.Builder base() {
        return new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT).updater(new Sgd(0.1));
    }

    /** Inputs "a" (3 features into a dense layer) and "b" (a 1x2x2 image, flat, into a convolution), merged. */
    static ComputationGraphConfiguration twoInputs() {
        return base().graphBuilder()
                .addInputs("a", "b")
                .addLayer("da", new DenseLayer.Builder().nOut(4).activation(Activation.TANH).build(), "a")
                .addLayer("cb", new ConvolutionLayer.Builder(1, 1).nOut(2).activation(Activation.RELU).build(), "b")
                .addLayer("db", new DenseLayer.Builder().nOut(3).activation(Activation.TANH).build(), "cb")
                .addVertex("m", new MergeVertex(), "da", "db")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX)
                        .build(), "m")
                .setOutputs("out")
                .setInputTypes(InputType.feedForward(3), InputType.convolutionalFlat(2, 2, 1))
                .build();
    }

    /** Rows 0..n-1 of width w holding 100 * row + column, to see where each value lands. */
    private static INDArray numbered(int n, int w) {
        INDArray rows = Nd4j.create(DataType.FLOAT, n, w);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < w; j++) {
                rows.putScalar(i, j, 100 * i + j);
            }
        }
        return rows;
    }

    @Test
    void aRowIsCutAcrossTheGraphsInputsInTheirOrder() {
        RowLayout layout = RowLayout.of(twoInputs());
        assertEquals(List.of(RowLayout.Slot.flat("a", 3), RowLayout.Slot.flat("b", 4)), layout.slots());
        assertArrayEquals(new long[] {3, 4}, layout.widths(7));
        INDArray[] in = layout.inputs(numbered(2, 7));
        assertArrayEquals(new float[] {100, 101, 102}, in[0].getRow(1).toFloatVector());
        assertArrayEquals(new float[] {103, 104, 105, 106}, in[1].getRow(1).toFloatVector());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> layout.widths(5));
        assertTrue(e.getMessage().contains("takes 7 values per example") && e.getMessage().contains("have 5"),
                e.getMessage());
        // and the graph trains and answers on such rows
        Network net = Network.fromJson(twoInputs().toJson());
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 7);
        INDArray y = Nd4j.eye(3).getRows(0, 1, 2, 0).castTo(DataType.FLOAT);
        float[] before = net.parameters();
        net.fit(x, y);
        assertTrue(net.score() > 0);
        assertTrue(before[0] != net.parameters()[0]);
        INDArray out = net.output(x)[0];
        assertArrayEquals(new long[] {4, 3}, out.shape());
        // the same as feeding DL4J the two pieces by hand
        INDArray a = x.getColumns(0, 1, 2);
        INDArray b = x.getColumns(3, 4, 5, 6);
        assertArrayEquals(net.graph().output(false, a, b)[0].ravel().toFloatVector(), out.ravel().toFloatVector(), 0f);
    }

    @Test
    void anImageInputIsReshapedChannelFirst() {
        ComputationGraphConfiguration conf = base().graphBuilder()
                .addInputs("img")
                .addLayer("d", new DenseLayer.Builder().nOut(2).build(), "img")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MCXENT).nOut(2).activation(Activation.SOFTMAX)
                        .build(), "d")
                .setOutputs("out")
                .setInputTypes(InputType.convolutional(2, 3, 2)) // h 2, w 3, c 2: a CnnToFeedForward preprocessor
                .build();
        RowLayout layout = RowLayout.of(conf);
        assertEquals(RowLayout.Form.IMAGE, layout.slots().get(0).form());
        INDArray img = layout.inputs(numbered(2, 12))[0];
        assertArrayEquals(new long[] {2, 2, 2, 3}, img.shape());
        // value (c, y, x) of row 1 is column c*6 + y*3 + x
        assertEquals(100 + 1 * 6 + 1 * 3 + 2, img.getFloat(1, 1, 1, 2), 0f);
        assertEquals(100 + 0 * 6 + 1 * 3 + 0, img.getFloat(1, 0, 1, 0), 0f);
        Network net = Network.fromJson(conf.toJson());
        assertArrayEquals(new long[] {2, 2}, net.output(numbered(2, 12))[0].shape());
    }

    @Test
    void aSequenceRowIsTimeMajorAndReshapedToFeaturesByTime() {
        MultiLayerConfiguration conf = base().list()
                .layer(new LSTM.Builder().nOut(4).activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder(LossFunction.MCXENT).nOut(2).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.recurrent(2, 3))
                .build();
        RowLayout layout = RowLayout.of(conf);
        assertEquals(RowLayout.Form.SEQUENCE, layout.slots().get(0).form());
        assertTrue(layout.sequenceOutput());
        INDArray seq = layout.inputs(numbered(2, 6))[0];
        assertArrayEquals(new long[] {2, 2, 3}, seq.shape(), "[n, f, t]");
        for (int t = 0; t < 3; t++) {
            for (int f = 0; f < 2; f++) {
                assertEquals(100 + t * 2 + f, seq.getFloat(1, f, t), 0f, "feature " + f + " at step " + t);
            }
        }
        assertEquals(3, layout.timeSteps(6));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> layout.widths(5));
        assertTrue(e.getMessage().contains("multiple of 2"), e.getMessage());
        // labels go to the last time step, with a mask that keeps only it
        INDArray[] labels = layout.labels(Nd4j.createFromArray(new float[][] {{0, 1}, {1, 0}}), 3);
        assertArrayEquals(new long[] {2, 2, 3}, labels[0].shape());
        assertEquals(1f, labels[0].getFloat(0, 1, 2), 0f);
        assertEquals(0f, labels[0].getFloat(0, 1, 1), 0f);
        assertArrayEquals(new float[] {0, 0, 1}, labels[1].getRow(0).toFloatVector());
    }

    @Test
    void aConvolutionWithoutAPreprocessorIsRefusedWithTheFix() {
        MultiLayerConfiguration noType = base().list()
                .layer(new ConvolutionLayer.Builder(3, 3).nIn(1).nOut(4).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(4).nOut(2).activation(Activation.SOFTMAX)
                        .build())
                .build();
        FedgeException e = assertThrows(FedgeException.class, () -> Network.fromJson(noType.toJson()));
        assertEquals(ErrorCode.MALFORMED, e.code());
        assertTrue(e.getMessage().contains("layer 0") && e.getMessage().contains("ConvolutionLayer")
                && e.getMessage().contains("InputType.convolutionalFlat(h, w, c)"), e.getMessage());
        ComputationGraphConfiguration graph = base().graphBuilder()
                .addInputs("pixels")
                .addLayer("c", new ConvolutionLayer.Builder(3, 3).nOut(4).build(), "pixels")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MCXENT).nOut(2).activation(Activation.SOFTMAX)
                        .build(), "c")
                .setOutputs("out")
                .setInputTypes(InputType.convolutional(8, 8, 1)) // 4D input: no preprocessor on "c"
                .build();
        FedgeException g = assertThrows(FedgeException.class, () -> Network.fromJson(graph.toJson()));
        assertTrue(g.getMessage().contains("'pixels'") && g.getMessage().contains("layer 'c'")
                && g.getMessage().contains("convolutionalFlat"), g.getMessage());
    }

    @Test
    void twoInputsOfOpenWidthAreRefused() {
        ComputationGraphConfiguration conf = base().graphBuilder()
                .addInputs("a", "b")
                .addVertex("m", new MergeVertex(), "a", "b")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MCXENT).nOut(2).activation(Activation.SOFTMAX)
                        .build(), "m")
                .setOutputs("out")
                .setInputTypes(InputType.feedForward(2), InputType.feedForward(3))
                .build();
        FedgeException e = assertThrows(FedgeException.class, () -> RowLayout.of(conf));
        assertTrue(e.getMessage().contains("cannot tell how a row is split"), e.getMessage());
        // one open input takes the rest of the row
        ComputationGraphConfiguration oneOpen = base().graphBuilder()
                .addInputs("a", "b")
                .addLayer("da", new DenseLayer.Builder().nOut(2).build(), "a")
                .addVertex("m", new MergeVertex(), "da", "b")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MCXENT).nOut(2).activation(Activation.SOFTMAX)
                        .build(), "m")
                .setOutputs("out")
                .setInputTypes(InputType.feedForward(2), InputType.feedForward(3))
                .build();
        assertArrayEquals(new long[] {2, 3}, RowLayout.of(oneOpen).widths(5));
    }
}
