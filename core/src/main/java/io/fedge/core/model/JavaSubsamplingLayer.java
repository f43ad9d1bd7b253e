package io.fedge.core.model;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's {@code SubsamplingLayer} with the forward of 2x2 stride-2 max pooling as
 * {@link JavaMaxPooling}'s loop: DL4J 1.0.0-M2.1's forward runs libnd4j's {@code maxpool2d}
 * (after a native output-shape calculation) without asking its helper. Every other case, and
 * the whole backward path, is DL4J's ({@link JavaMaxPooling} as the backward's helper). Same
 * configuration, no parameters: {@link JavaMaxPooling#install} swaps it in for DL4J's.
 */
final class JavaSubsamplingLayer extends SubsamplingLayer {
    JavaSubsamplingLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        org.deeplearning4j.nn.conf.layers.SubsamplingLayer c = layerConf();
        if (input != null && input.dataType() == dataType
                && JavaMaxPooling.handles(input, c.getKernelSize(), c.getStride(), c.getPadding(), c.getPoolingType(),
                convolutionMode, c.getDilation(), c.getCnn2dDataFormat())) {
            return JavaMaxPooling.forward(input, workspaceMgr);
        }
        return super.activate(training, workspaceMgr);
    }
}
