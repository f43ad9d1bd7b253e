package io.fedge.core.metrics;

import io.fedge.core.model.Network;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossL1;
import org.nd4j.linalg.lossfunctions.impl.LossL2;
import org.nd4j.linalg.lossfunctions.impl.LossMAPE;
import org.nd4j.linalg.lossfunctions.impl.LossMSLE;

import java.util.Locale;

/**
 * What a data set's labels are and what a model predicts: classes (one-hot labels {@code [n, C]},
 * a softmax over them) or real-valued targets ({@code [n, T]}).
 */
public enum Task {
    /** One class per example, labels one-hot; metrics: accuracy, cross-entropy, per-class precision/recall/F1. */
    CLASSIFICATION,
    /** One or more real targets per example; metrics: MSE (the loss) and MAE, no accuracy. */
    REGRESSION;

    /** The name used on the command line and in reports: {@code classification} or {@code regression}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The task named {@code name} ({@link #label()}, any case).
     *
     * @throws IllegalArgumentException naming the allowed values otherwise
     */
    public static Task byName(String name) {
        for (Task t : values()) {
            if (t.label().equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown task '" + name + "', expected classification or regression");
    }

    /**
     * The task a network was built for, read from the loss function of its (first) output layer: a
     * regression loss (mean squared or absolute error, in DL4J {@code L2}/{@code MSE}, {@code L1}/{@code MAE},
     * {@code MSLE}, {@code MAPE}) makes it {@link #REGRESSION}; anything else (cross-entropy, negative
     * log-likelihood) {@link #CLASSIFICATION}. Thread-safe: it only reads the configuration.
     */
    public static Task of(Network net) {
        Layer out = net.kind() == Network.Kind.LAYERS ? net.layers().getOutputLayer() : net.graph().getOutputLayer(0);
        org.deeplearning4j.nn.conf.layers.Layer conf = out.conf().getLayer();
        ILossFunction loss = null;
        if (conf instanceof BaseOutputLayer b) {
            loss = b.getLossFn();
        } else if (conf instanceof LossLayer l) {
            loss = l.getLossFn();
        }
        boolean regression = loss instanceof LossL2 || loss instanceof LossL1 || loss instanceof LossMSLE
                || loss instanceof LossMAPE;
        return regression ? REGRESSION : CLASSIFICATION;
    }
}
