package io.fedge.export;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Unstructured magnitude pruning: in every weight matrix and kernel, the {@code sparsity} fraction
 * of weights with the smallest magnitude become zero, and stay zero through a fine-tune on the
 * transfer set (the mask is re-applied after every step). The edge format stores such dense
 * layers compactly ({@code io.fedge.edge.SparseQuantizedDense}). Works on any student network.
 *
 * @param sparsity the fraction of each layer's weights set to zero, in [0, 1)
 */
public record UnstructuredPruner(double sparsity, Distiller fineTune) implements Pruner {
    public UnstructuredPruner {
        if (!(sparsity >= 0 && sparsity < 1)) {
            throw new IllegalArgumentException("sparsity must be in [0, 1): " + sparsity);
        }
    }

    @Override
    public String describe() {
        return "unstructured, sparsity " + sparsity;
    }

    @Override
    public MultiLayerNetwork prune(MultiLayerNetwork student, Student spec, ClassifierShape shape, INDArray features,
                                   INDArray targets) {
        MultiLayerNetwork net = new MultiLayerNetwork(DistillationHead.training(student.getLayerWiseConfigurations(),
                new DistillationLoss(fineTune.temperature(), fineTune.alpha())));
        net.init(student.params().dup(), false);
        List<INDArray> weights = new ArrayList<>();
        List<INDArray> masks = new ArrayList<>();
        for (int l = 0; l < net.getnLayers(); l++) {
            if (net.getLayer(l).paramTable().containsKey("W")) {
                INDArray w = net.getLayer(l).getParam("W");
                INDArray mask = mask(w);
                w.muli(mask);
                weights.add(w);
                masks.add(mask);
            }
        }
        fineTune.train(net, features, targets, () -> {
            for (int i = 0; i < weights.size(); i++) {
                weights.get(i).muli(masks.get(i));
            }
        });
        MultiLayerNetwork inference = new MultiLayerNetwork(student.getLayerWiseConfigurations().clone());
        inference.init(net.params().dup(), false);
        return inference;
    }

    /** 1 where |w| is above the layer's {@code sparsity} quantile of magnitudes, else 0. */
    private INDArray mask(INDArray w) {
        float[] mags = w.dup().data().asFloat();
        for (int i = 0; i < mags.length; i++) {
            mags[i] = Math.abs(mags[i]);
        }
        float[] sorted = mags.clone();
        Arrays.sort(sorted);
        int cut = (int) Math.floor(sparsity * sorted.length);
        float threshold = cut == 0 ? -1 : sorted[cut - 1];
        return org.nd4j.linalg.ops.transforms.Transforms.abs(w, true).gt(threshold).castTo(w.dataType());
    }
}
