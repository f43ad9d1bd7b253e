package io.fedge.client;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.fedge.core.LocalTraining;
import io.fedge.core.model.Network;
import io.fedge.core.model.ParameterSpans;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * The client-side corrections of one local training, applied inside the network's training step
 * (DL4J's own fit loop, or fedge's lean path, which calls its listeners at the same point): a
 * {@link org.deeplearning4j.optimize.api.TrainingListener} whose {@link #onGradientCalculation}
 * rewrites the network's flattened gradient in place after backpropagation and before the updater
 * runs, so that every step is
 *
 * <pre>
 * g' = g + mu (w - w_global)                   FedProx's proximal term (part of the local objective)
 * v  = momentum * v + g'                        classical momentum (PyTorch's SGD), v = 0 at the start
 * w  = w - lr * (v + c - c_i)                   SCAFFOLD's correction (v = g' without momentum)
 * </pre>
 *
 * SCAFFOLD's correction is a step of its own beside the momentum, as NIID-Bench's implementation
 * takes it ({@code w -= lr (c - c_i)} after each optimizer step): fed through the momentum buffer
 * it would be amplified by {@code 1 / (1 - momentum)}, and with it the client's next control
 * variate, until the federation diverges (measured: NaN by round 4 at momentum 0.9).
 *
 * with {@code g} the mean gradient of the minibatch. DL4J 1.0.0-M2.1 hands the listeners the
 * gradient summed over the minibatch: after them, {@code BaseOptimizer.gradientAndScore} calls
 * the updater ({@code BaseMultiLayerUpdater.update}), which divides it by the minibatch size when
 * the configuration is {@code miniBatch} (DL4J's default), then applies gradient normalization,
 * regularization and the layer's updater ({@code Sgd}: times the learning rate), and
 * {@code StochasticGradientDescent.optimize} subtracts the result from the parameters
 * ({@code NegativeGradientStepFunction}). So this listener writes {@code B * v} (B the minibatch
 * size, 1 without minibatch division). Those steps are exact only with plain SGD and no gradient
 * normalization, which {@link #check} requires of every trained parameter.
 *
 * <p>Some coordinates are not trained by a gradient: BatchNorm's running mean and variance (or
 * log10 standard deviation), {@link Network#statistics()}. For them DL4J puts the update itself in
 * the gradient ({@code (1 - decay) (running - batch)}), excludes it from the division by the
 * minibatch size ({@code updaterDivideByMinibatch}) and applies it with a {@code NoOp} updater.
 * The listener leaves those entries exactly as DL4J computed them (no momentum, no proximal term,
 * no SCAFFOLD correction), so the running statistics move as in DL4J's own training. The
 * coordinates a client keeps to itself (FedBN's BatchNorm parameters) get no SCAFFOLD correction
 * either: their control variates stay at zero.
 *
 * <p>The same listener serves a {@code MultiLayerNetwork} and a {@code ComputationGraph}: both
 * hand their listeners the flattened gradient view their updater then reads.
 *
 * <p>One instance per training: the momentum buffer starts at zero and never outlives it. Each
 * correction that is off is skipped, so with all of them off the listener changes no bit.
 */
final class LocalCorrections extends BaseTrainingListener {
    private final double momentum;
    private final double mu;
    /** The parameters the training started from (FedProx), or null. */
    private final INDArray global;
    /** {@code c - c_i} (SCAFFOLD), or null. */
    private final INDArray drift;
    /** The momentum buffer, or null. */
    private final INDArray velocity;
    /** Room for the additive correction, or null when there is none. */
    private final INDArray scratch;
    private final boolean dividesByMinibatch;
    private final Network net;
    /** The coordinates DL4J updates without a gradient, whose entries are put back as DL4J computed them. */
    private final ParameterSpans statistics;
    /** Room for those entries while the others are corrected, one array per span. */
    private final INDArray[] kept;
    private int steps;

    /**
     * @param net the network about to train, holding the parameters it starts from
     * @param serverControl SCAFFOLD's {@code c}, or null
     * @param clientControl SCAFFOLD's {@code c_i}, or null
     * @param keptLocal coordinates the client keeps to itself (FedBN's BatchNorm parameters): no SCAFFOLD correction
     */
    LocalCorrections(Network net, LocalTraining local, float[] serverControl, float[] clientControl,
                     ParameterSpans keptLocal) {
        this.net = net;
        INDArray params = net.params();
        long p = params.length();
        // flat vectors of the parameters' type (DL4J's views are [1, P] for the parameters, [P] for the gradient)
        this.momentum = local.momentum();
        this.mu = local.proximalMu();
        this.dividesByMinibatch = net.isMiniBatch();
        this.statistics = net.statistics();
        this.kept = new INDArray[statistics.spans()];
        for (int i = 0; i < kept.length; i++) {
            kept[i] = Nd4j.create(params.dataType(), statistics.end(i) - statistics.start(i));
        }
        this.global = mu > 0 ? params.reshape(p).dup() : null;
        if (local.scaffold()) {
            if (serverControl == null || clientControl == null || serverControl.length != p
                    || clientControl.length != p) {
                throw new IllegalArgumentException("SCAFFOLD needs c and c_i of " + p + " values each");
            }
            float[] d = new float[(int) p];
            for (int i = 0; i < d.length; i++) {
                d[i] = serverControl[i] - clientControl[i];
            }
            statistics.union(keptLocal).zero(d, 0);
            this.drift = Nd4j.createFromArray(d).castTo(params.dataType());
        } else {
            this.drift = null;
        }
        this.velocity = momentum > 0 ? Nd4j.zeros(params.dataType(), p) : null;
        this.scratch = mu > 0 || drift != null ? Nd4j.create(params.dataType(), p) : null;
    }

    /** Whether {@code local} asks for anything this listener does (DP is applied after training, not here). */
    static boolean needed(LocalTraining local) {
        return local.momentum() > 0 || local.proximalMu() > 0 || local.scaffold();
    }

    /**
     * Checks that every trained parameter of {@code net} trains with plain SGD and no gradient
     * normalization, the only case in which the corrected step is the one above, and that the
     * parameters DL4J updates without a gradient (BatchNorm's running statistics) do so with the
     * {@code NoOp} updater whose arithmetic the listener leaves alone.
     *
     * @throws FedgeException with {@link ErrorCode#MALFORMED} naming the first layer that does not
     */
    static void check(Network net) {
        for (Layer layer : net.layerArray()) {
            if (layer.numParams() == 0) {
                continue;
            }
            String name = "layer " + layer.getIndex() + (layer.getConfig().getLayerName() == null ? ""
                    : " (" + layer.getConfig().getLayerName() + ")");
            GradientNormalization gn = layer.getConfig().getGradientNormalization();
            if (gn != null && gn != GradientNormalization.None) {
                throw new FedgeException(ErrorCode.MALFORMED, "local corrections need no gradient normalization, "
                        + name + " has " + gn);
            }
            for (String param : layer.paramTable(false).keySet()) {
                IUpdater u = layer.getConfig().getUpdaterByParam(param);
                if (!layer.updaterDivideByMinibatch(param)) {
                    if (!(u instanceof NoOp)) {
                        throw new FedgeException(ErrorCode.MALFORMED, "parameter " + param + " of " + name
                                + " is updated without a gradient, but with "
                                + (u == null ? "no updater" : u.getClass().getSimpleName())
                                + " rather than DL4J's NoOp; local corrections cannot tell what its step is");
                    }
                    continue;
                }
                if (!(u instanceof Sgd)) {
                    throw new FedgeException(ErrorCode.MALFORMED, "local corrections (momentum, FedProx, SCAFFOLD) "
                            + "need plain SGD, but parameter " + param + " of " + name + " trains with "
                            + (u == null ? "no updater" : u.getClass().getSimpleName()));
                }
            }
        }
    }

    @Override
    public void onGradientCalculation(Model model) {
        if (model != net.model()) {
            throw new IllegalStateException("listener of another network");
        }
        INDArray gradient = net.flattenedGradients();
        if (gradient.rank() != 1) {
            gradient = gradient.reshape(gradient.length()); // a view: the flattened gradient is contiguous
        }
        for (int i = 0; i < kept.length; i++) {
            kept[i].assign(gradient.get(NDArrayIndex.interval(statistics.start(i), statistics.end(i))));
        }
        correct(gradient);
        for (int i = 0; i < kept.length; i++) {
            gradient.get(NDArrayIndex.interval(statistics.start(i), statistics.end(i))).assign(kept[i]);
        }
        steps++;
    }

    /** Rewrites the gradient of the trained coordinates (the statistics are put back after). */
    private void correct(INDArray gradient) {
        double b = dividesByMinibatch ? net.batchSize() : 1;
        if (velocity == null) {
            if (scratch != null) {
                if (mu > 0) {
                    scratch.assign(net.params().reshape(scratch.length())).subi(global).muli(mu);
                    if (drift != null) {
                        scratch.addi(drift);
                    }
                } else {
                    scratch.assign(drift);
                }
                gradient.addi(scratch.muli(b)); // + B * correction: the updater's division leaves g + correction
            }
        } else {
            gradient.divi(b); // the mean gradient g
            if (mu > 0) {
                gradient.addi(scratch.assign(net.params().reshape(scratch.length())).subi(global).muli(mu));
            }
            velocity.muli(momentum).addi(gradient);
            gradient.assign(velocity);
            if (drift != null) {
                gradient.addi(drift); // beside the momentum, not through it
            }
            gradient.muli(b); // the updater divides by B again, then steps by lr * (v + c - c_i)
        }
    }

    /** The optimizer steps taken so far (K of SCAFFOLD's option II). */
    int steps() {
        return steps;
    }
}
