package io.fedge.core.model;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * fedge's rows (channel-first {@code [c][h][w]} per example) to images in either layout, checked
 * element by element against the index arithmetic written out by hand; gradients go back to the
 * row positions they came from; the preprocessor survives DL4J's JSON and fedge lays rows out for it.
 */
class RowsToImagePreProcessorTest {
    private static final LayerWorkspaceMgr NONE = LayerWorkspaceMgr.noWorkspaces();

    /** Two examples of 2 channels of 3x4, value = 1000 n + row position, so every value says where it came from. */
    private static INDArray rows() {
        INDArray rows = Nd4j.create(DataType.FLOAT, 2, 24);
        for (int n = 0; n < 2; n++) {
            for (int i = 0; i < 24; i++) {
                rows.putScalar(n, i, 1000 * n + i);
            }
        }
        return rows;
    }

    @Test
    void rowsBecomeNhwcImagesAndGradientsGoBackToTheirPositions() {
        RowsToImagePreProcessor p = new RowsToImagePreProcessor(3, 4, 2, CNN2DFormat.NHWC);
        INDArray img = p.preProcess(rows(), 2, NONE);
        assertEquals(java.util.List.of(2L, 3L, 4L, 2L), java.util.Arrays.stream(img.shape()).boxed().toList());
        for (int n = 0; n < 2; n++) {
            for (int h = 0; h < 3; h++) {
                for (int w = 0; w < 4; w++) {
                    for (int c = 0; c < 2; c++) {
                        // row position of (c, h, w) in channel-first order: c*12 + h*4 + w
                        assertEquals(1000 * n + c * 12 + h * 4 + w, img.getDouble(n, h, w, c), 0, n + "," + h + "," + w + "," + c);
                    }
                }
            }
        }
        INDArray back = p.backprop(img, 2, NONE);
        assertEquals(rows(), back, "the gradient of each image position lands on the row value it came from");
    }

    @Test
    void nchwIsAPlainReshape() {
        RowsToImagePreProcessor p = new RowsToImagePreProcessor(3, 4, 2, CNN2DFormat.NCHW);
        INDArray img = p.preProcess(rows(), 2, NONE);
        assertEquals(1000 + 12 + 2 * 4 + 3, img.getDouble(1, 1, 2, 3), 0);
        assertEquals(rows(), p.backprop(img, 2, NONE));
    }

    @Test
    void rowsOfTheWrongWidthAreRefused() {
        RowsToImagePreProcessor p = new RowsToImagePreProcessor(3, 4, 2, CNN2DFormat.NHWC);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> p.preProcess(Nd4j.create(DataType.FLOAT, 2, 25), 2, NONE));
        assertTrue(e.getMessage().contains("rows of 24 values"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RowsToImagePreProcessor(0, 4, 2, CNN2DFormat.NHWC));
    }

    @Test
    void itSurvivesDl4jsJsonAndFedgeLaysRowsOutForIt() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).list()
                .layer(new ConvolutionLayer.Builder(2, 2).nIn(2).nOut(3).activation(Activation.RELU)
                        .dataFormat(CNN2DFormat.NHWC).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(5).activation(Activation.SOFTMAX).build())
                .inputPreProcessor(0, new RowsToImagePreProcessor(3, 4, 2, CNN2DFormat.NHWC))
                .setInputType(InputType.convolutional(3, 4, 2, CNN2DFormat.NHWC))
                .build();
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        assertEquals(new RowsToImagePreProcessor(3, 4, 2, CNN2DFormat.NHWC), back.getInputPreProcess(0));
        Network net = Network.fromJson(conf.toJson());
        assertEquals(24, net.layout().widths(24)[0]);
        assertEquals(5, net.output(rows())[0].columns());
        float[] before = net.parameters();
        net.fit(rows(), Nd4j.eye(5).getRows(0, 1).castTo(DataType.FLOAT));
        assertTrue(!java.util.Arrays.equals(before, net.parameters()), "a step through the preprocessor's backprop trained it");
    }
}
