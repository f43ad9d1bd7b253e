package io.fedge.core;

import java.util.ArrayList;
import java.util.List;

/**
 * How a client trains beyond plain mini-batch SGD, as a strategy asks for it and a training task
 * carries it: classical momentum, FedProx's proximal term, SCAFFOLD's control-variate correction,
 * client-side differential privacy (clipping each update to an L2 norm, then adding Gaussian
 * noise), and FedBN's client-kept BatchNorm parameters. Each needs a protocol feature the client announces in its Hello; a client without it is
 * never selected for a round that needs it (as codecs are negotiated).
 *
 * @param momentum SGD momentum in [0, 1): {@code v = momentum * v + g; w -= lr * v} (PyTorch's
 *        {@code SGD(momentum=...)}, not Nesterov); 0 is plain SGD
 * @param proximalMu FedProx's mu >= 0 (Li et al. 2020): the local objective gains
 *        {@code mu/2 ||w - w_global||^2}; 0 is off
 * @param scaffold SCAFFOLD (Karimireddy et al. 2020, option II): each local gradient is corrected by
 *        {@code c - c_i}; the update carries the model delta followed by the control-variate delta
 * @param clipNorm client-side L2 clipping bound of the update (DP-FedAvg); 0 is off
 * @param noiseStddev standard deviation of the Gaussian noise each client adds to every coordinate
 *        of its clipped update (distributed DP); 0 is off
 * @param localBatchNorm FedBN (Li et al. 2021): each client keeps the parameters of the model's
 *        BatchNorm layers (gamma, beta, running mean and variance) on the device across rounds,
 *        trains with them and sends a zero update for them; false averages them like any other
 *        parameter
 */
public record LocalTraining(double momentum, double proximalMu, boolean scaffold, double clipNorm, double noiseStddev,
                            boolean localBatchNorm) {
    /** Plain SGD, nothing else. */
    public static final LocalTraining NONE = new LocalTraining(0, 0, false, 0, 0, false);

    /** Hello feature: the client applies {@link #momentum}. */
    public static final String FEATURE_MOMENTUM = "momentum-v1";
    /** Hello feature: the client applies {@link #proximalMu}. */
    public static final String FEATURE_FEDPROX = "fedprox-v1";
    /** Hello feature: the client keeps SCAFFOLD control variates and receives the server's. */
    public static final String FEATURE_SCAFFOLD = "scaffold-v1";
    /** Hello feature: the client clips its update and adds noise as told. */
    public static final String FEATURE_CLIENT_DP = "client-dp-v1";
    /** Hello feature: the client keeps its BatchNorm parameters to itself when told (FedBN). */
    public static final String FEATURE_LOCAL_BATCH_NORM = "fedbn-v1";

    /** The largest momentum accepted. */
    public static final double MAX_MOMENTUM = 0.999;
    /** The largest proximal mu accepted. */
    public static final double MAX_PROXIMAL_MU = 1e4;

    /** Without FedBN: BatchNorm parameters are averaged like the others. */
    public LocalTraining(double momentum, double proximalMu, boolean scaffold, double clipNorm, double noiseStddev) {
        this(momentum, proximalMu, scaffold, clipNorm, noiseStddev, false);
    }

    public LocalTraining {
        if (!(momentum >= 0 && momentum <= MAX_MOMENTUM)) {
            throw new IllegalArgumentException("momentum must be in [0, " + MAX_MOMENTUM + "]: " + momentum);
        }
        if (!(proximalMu >= 0 && proximalMu <= MAX_PROXIMAL_MU)) {
            throw new IllegalArgumentException("proximal mu must be in [0, " + MAX_PROXIMAL_MU + "]: " + proximalMu);
        }
        if (!(clipNorm >= 0) || !Double.isFinite(clipNorm)) {
            throw new IllegalArgumentException("clip norm must be non-negative and finite: " + clipNorm);
        }
        if (!(noiseStddev >= 0) || !Double.isFinite(noiseStddev)) {
            throw new IllegalArgumentException("noise stddev must be non-negative and finite: " + noiseStddev);
        }
        if (noiseStddev > 0 && clipNorm == 0) {
            throw new IllegalArgumentException("client noise needs a clip norm: noise on an unbounded update protects nothing");
        }
    }

    /** The Hello features a client needs to be given this training. */
    public List<String> requiredFeatures() {
        List<String> f = new ArrayList<>();
        if (momentum > 0) {
            f.add(FEATURE_MOMENTUM);
        }
        if (proximalMu > 0) {
            f.add(FEATURE_FEDPROX);
        }
        if (scaffold) {
            f.add(FEATURE_SCAFFOLD);
        }
        if (clipNorm > 0) {
            f.add(FEATURE_CLIENT_DP);
        }
        if (localBatchNorm) {
            f.add(FEATURE_LOCAL_BATCH_NORM);
        }
        return List.copyOf(f);
    }

    /** Every feature a client implementing all of this class announces. */
    public static List<String> allFeatures() {
        return List.of(FEATURE_MOMENTUM, FEATURE_FEDPROX, FEATURE_SCAFFOLD, FEATURE_CLIENT_DP, FEATURE_LOCAL_BATCH_NORM);
    }

    /** The length of an update for a model of {@code parameterCount}: twice it under SCAFFOLD. */
    public int updateLength(int parameterCount) {
        if (scaffold && parameterCount > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException("a SCAFFOLD update of " + parameterCount + " parameters is too long");
        }
        return scaffold ? 2 * parameterCount : parameterCount;
    }

    /** With SCAFFOLD's correction set. */
    public LocalTraining withScaffold(boolean on) {
        return new LocalTraining(momentum, proximalMu, on, clipNorm, noiseStddev, localBatchNorm);
    }

    /** With FedProx's mu set. */
    public LocalTraining withProximalMu(double mu) {
        return new LocalTraining(momentum, mu, scaffold, clipNorm, noiseStddev, localBatchNorm);
    }

    /** With the momentum set. */
    public LocalTraining withMomentum(double m) {
        return new LocalTraining(m, proximalMu, scaffold, clipNorm, noiseStddev, localBatchNorm);
    }

    /** With client-side clipping and noise set. */
    public LocalTraining withPrivacy(double clip, double noise) {
        return new LocalTraining(momentum, proximalMu, scaffold, clip, noise, localBatchNorm);
    }

    /** With FedBN's client-kept BatchNorm parameters on or off. */
    public LocalTraining withLocalBatchNorm(boolean on) {
        return new LocalTraining(momentum, proximalMu, scaffold, clipNorm, noiseStddev, on);
    }
}
