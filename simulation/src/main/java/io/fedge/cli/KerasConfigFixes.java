package io.fedge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.fedge.core.model.RowsToImagePreProcessor;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What DL4J's Keras import gives, made into a configuration fedge's rows and training path take,
 * without changing what the network computes or its parameter count:
 * <ul>
 *   <li>an image input going straight into a convolution or pooling layer (as Keras feeds it) gets
 *       a {@link RowsToImagePreProcessor} from the Keras input shape, so flat rows become images in
 *       the layer's layout (NHWC for Keras's default {@code channels_last}); a layer stack that is
 *       NHWC up to one flattening becomes NCHW, the dense layer after it with its weight rows
 *       reordered, so it computes the same (the one change to parameters' values: their order);
 *   <li>the {@code Dropout(p = 1)} the import puts on every layer (Keras's {@code dropout} argument
 *       defaults to 0) keeps every activation and scales by 1, an identity: it is dropped;
 *   <li>a layer stack ending in a dense layer and a parameterless {@code LossLayer} (how a compiled
 *       Keras model's last {@code Dense} comes out) ends in one {@code OutputLayer} with the dense
 *       layer's weights, activation and the loss, the form DL4J's own models and fedge's lean
 *       training path and exporter take.
 * </ul>
 */
final class KerasConfigFixes {
    private KerasConfigFixes() {
    }

    /**
     * The shape of each of the Keras model's inputs, without the batch dimension, by input name
     * ({@code batch_input_shape}, or Keras 2.13's {@code batch_shape}, of its input layers; a
     * Sequential model's one input is named by its first layer). An unknown size is -1.
     */
    static Map<String, long[]> inputShapes(JsonNode modelConfig) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (JsonNode layer : modelConfig.path("config").path("layers")) {
            JsonNode c = layer.path("config");
            JsonNode shape = c.has("batch_input_shape") ? c.get("batch_input_shape") : c.path("batch_shape");
            if (!shape.isArray() || shape.size() < 2) {
                continue;
            }
            long[] dims = new long[shape.size() - 1];
            for (int i = 1; i < shape.size(); i++) {
                dims[i - 1] = shape.get(i).isNumber() ? shape.get(i).asLong() : -1;
            }
            shapes.put(c.path("name").asText(""), dims);
        }
        return shapes;
    }

    /**
     * The fixed configuration of an imported layer stack, as JSON; {@code imported}'s configuration
     * is changed in place, and its parameters where a channels_last stack becomes channels-first.
     */
    static String fix(MultiLayerNetwork imported, Map<String, long[]> inputShapes) {
        MultiLayerConfiguration conf = imported.getLayerWiseConfigurations();
        if (inputShapes.size() == 1 && conf.getInputPreProcess(0) == null) {
            RowsToImagePreProcessor p = toImage(conf.getConf(0).getLayer(), inputShapes.values().iterator().next());
            if (p != null) {
                conf.getInputPreProcessors().put(0, p);
                toChannelsFirst(imported);
            }
        }
        mergeLossLayer(conf);
        List<Layer> layers = new ArrayList<>();
        for (NeuralNetConfiguration c : conf.getConfs()) {
            layers.add(c.getLayer());
        }
        dropIdentityDropout(layers);
        return conf.toJson();
    }

    /** The fixed configuration of an imported graph, as JSON. */
    static String fix(ComputationGraphConfiguration conf, Map<String, long[]> inputShapes) {
        for (Map.Entry<String, List<String>> e : conf.getVertexInputs().entrySet()) {
            if (e.getValue().size() == 1 && inputShapes.containsKey(e.getValue().get(0))
                    && conf.getVertices().get(e.getKey()) instanceof LayerVertex lv && lv.getPreProcessor() == null) {
                RowsToImagePreProcessor p = toImage(lv.getLayerConf().getLayer(), inputShapes.get(e.getValue().get(0)));
                if (p != null) {
                    lv.setPreProcessor(p);
                }
            }
        }
        List<Layer> layers = new ArrayList<>();
        for (GraphVertex v : conf.getVertices().values()) {
            if (v instanceof LayerVertex lv) {
                layers.add(lv.getLayerConf().getLayer());
            }
        }
        dropIdentityDropout(layers);
        return conf.toJson();
    }

    /**
     * A layer stack whose images are NHWC from its input to one flattening (convolutions, max or
     * average pooling, BatchNorm, activations and dropout between), as Keras's channels_last models
     * come out of the import, made NCHW: the layout fedge's lean training path and edge exporter
     * take. The image layers' parameters do not depend on the layout; the dense layer after the
     * flattening does, since NHWC flattens an image as (row, column, channel) and NCHW as (channel,
     * row, column), so its weight rows are put in NCHW's order. The network computes the same.
     * Anything else stays as it is (NHWC, on DL4J's fit).
     */
    private static void toChannelsFirst(MultiLayerNetwork net) {
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
        if (!(conf.getInputPreProcess(0) instanceof RowsToImagePreProcessor in) || in.format() != CNN2DFormat.NHWC) {
            return;
        }
        int flatten = -1;
        for (int i = 0; i < conf.getConfs().size() && flatten < 0; i++) {
            Layer l = conf.getConf(i).getLayer();
            if (i > 0 && conf.getInputPreProcess(i) != null) {
                if (conf.getInputPreProcess(i) instanceof CnnToFeedForwardPreProcessor f && f.getFormat() == CNN2DFormat.NHWC) {
                    flatten = i;
                    break;
                }
                return;
            }
            boolean image = (l.getClass() == ConvolutionLayer.class && ((ConvolutionLayer) l).getCnn2dDataFormat() == CNN2DFormat.NHWC)
                    || (l.getClass() == SubsamplingLayer.class && ((SubsamplingLayer) l).getCnn2dDataFormat() == CNN2DFormat.NHWC)
                    || (l instanceof BatchNormalization b && b.getCnn2DFormat() == CNN2DFormat.NHWC)
                    || l instanceof ActivationLayer || l instanceof DropoutLayer;
            if (!image) {
                return;
            }
        }
        if (flatten < 0) {
            return;
        }
        int dense = flatten;
        while (dense < conf.getConfs().size() && (conf.getConf(dense).getLayer() instanceof DropoutLayer
                || conf.getConf(dense).getLayer() instanceof ActivationLayer)) {
            dense++;
        }
        if (dense >= conf.getConfs().size()
                || !(conf.getConf(dense).getLayer() instanceof DenseLayer || conf.getConf(dense).getLayer() instanceof OutputLayer)
                || (dense > flatten && conf.getInputPreProcess(dense) != null)) {
            return;
        }
        CnnToFeedForwardPreProcessor f = (CnnToFeedForwardPreProcessor) conf.getInputPreProcess(flatten);
        long h = f.getInputHeight();
        long w = f.getInputWidth();
        long c = f.getNumChannels();
        INDArray weights = net.getLayer(dense).getParam("W");
        if (weights == null || weights.rows() != h * w * c) {
            return;
        }
        float[][] rows = weights.toFloatMatrix();
        float[][] nchw = new float[rows.length][];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int ch = 0; ch < c; ch++) {
                    nchw[(int) ((ch * h + y) * w + x)] = rows[(int) ((y * w + x) * c + ch)];
                }
            }
        }
        weights.assign(Nd4j.create(nchw));
        for (int i = 0; i < flatten; i++) {
            Layer l = conf.getConf(i).getLayer();
            if (l instanceof ConvolutionLayer cl) {
                cl.setCnn2dDataFormat(CNN2DFormat.NCHW);
            } else if (l instanceof SubsamplingLayer sl) {
                sl.setCnn2dDataFormat(CNN2DFormat.NCHW);
            } else if (l instanceof BatchNormalization b) {
                b.setCnn2DFormat(CNN2DFormat.NCHW);
            }
        }
        conf.getInputPreProcessors().put(0, new FeedForwardToCnnPreProcessor(in.height(), in.width(), in.channels()));
        conf.getInputPreProcessors().put(flatten, new CnnToFeedForwardPreProcessor(h, w, c));
    }

    /** Rows to images for {@code layer} if it reads images directly and {@code dims} is one; else null. */
    private static RowsToImagePreProcessor toImage(Layer layer, long[] dims) {
        CNN2DFormat format = layer instanceof ConvolutionLayer c ? c.getCnn2dDataFormat()
                : layer instanceof SubsamplingLayer s ? s.getCnn2dDataFormat() : null;
        if (format == null || dims == null || dims.length != 3 || Arrays.stream(dims).anyMatch(d -> d <= 0)) {
            return null;
        }
        // Keras's order: (h, w, c) for channels_last, (c, h, w) for channels_first
        return format == CNN2DFormat.NHWC ? new RowsToImagePreProcessor(dims[0], dims[1], dims[2], format)
                : new RowsToImagePreProcessor(dims[1], dims[2], dims[0], format);
    }

    private static void dropIdentityDropout(List<Layer> layers) {
        for (Layer l : layers) {
            if (l.getIDropout() instanceof Dropout d && d.getClass() == Dropout.class && d.getPSchedule() == null
                    && d.getP() == 1.0) {
                l.setIDropout(null);
            }
        }
    }

    private static void mergeLossLayer(MultiLayerConfiguration conf) {
        List<NeuralNetConfiguration> confs = conf.getConfs();
        int n = confs.size();
        if (n < 2 || !(confs.get(n - 1).getLayer() instanceof LossLayer loss)
                || !(confs.get(n - 2).getLayer() instanceof DenseLayer dense)
                || conf.getInputPreProcess(n - 1) != null || !(loss.getActivationFn() instanceof ActivationIdentity)) {
            return;
        }
        OutputLayer out = new OutputLayer.Builder(loss.getLossFn())
                .nIn(dense.getNIn()).nOut(dense.getNOut()).activation(dense.getActivationFn()).hasBias(dense.hasBias())
                .build();
        out.setLayerName(dense.getLayerName());
        out.setIUpdater(dense.getIUpdater());
        out.setBiasUpdater(dense.getBiasUpdater());
        out.setWeightInitFn(dense.getWeightInitFn());
        out.setBiasInit(dense.getBiasInit());
        out.setGainInit(dense.getGainInit());
        out.setRegularization(dense.getRegularization());
        out.setRegularizationBias(dense.getRegularizationBias());
        out.setIDropout(dense.getIDropout());
        out.setWeightNoise(dense.getWeightNoise());
        out.setConstraints(dense.getConstraints());
        out.setGradientNormalization(dense.getGradientNormalization());
        out.setGradientNormalizationThreshold(dense.getGradientNormalizationThreshold());
        confs.get(n - 2).setLayer(out);
        confs.remove(n - 1);
        Map<Integer, org.deeplearning4j.nn.conf.InputPreProcessor> pre = conf.getInputPreProcessors();
        pre.remove(n - 1);
    }
}
