package io.fedge.aggregation;

import io.fedge.aggregation.privacy.AdaptiveClipping;
import io.fedge.aggregation.privacy.GaussianNoise;
import io.fedge.aggregation.privacy.L2Clip;
import io.fedge.aggregation.privacy.RdpAccountant;
import io.fedge.core.LocalTraining;
import io.fedge.core.model.GlobalModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Predicate;

/**
 * DP-FedAvg (McMahan et al. 2018, "Learning Differentially Private Recurrent Language Models"):
 * every client's update is clipped to L2 norm {@code C}, the clipped updates are summed with equal
 * weights, Gaussian noise of standard deviation {@code z C} is added to the sum, and the model moves
 * by the noisy sum over the number of updates. A Rényi-DP accountant of the sampled Gaussian
 * mechanism ({@link RdpAccountant}) composes the rounds and records (epsilon, delta) with every
 * round; with a budget the federation ends before the round that would pass it.
 *
 * <p>Two placements of the noise:
 * <ul>
 *   <li>{@code central}: the coordinator clips each update and adds the noise to the sum. It sees
 *       each update, so it cannot run under secure aggregation. Adaptive clipping (Andrew et al.
 *       2021) is available here: the coordinator counts the updates within the bound, noises the
 *       count, and moves {@code C} geometrically towards the target quantile of the norms.
 *   <li>{@code distributed}: each client clips its own update and adds {@code N(0, (z C)^2 / k)},
 *       where {@code k} is the fewest accepted updates with which a round counts, so the sum of at
 *       least {@code k} updates carries at least the noise of the central mechanism; under secure
 *       aggregation the coordinator never sees an un-noised sum. The coordinator cannot clip
 *       noisy updates, so a client that does not clip is not bounded by it (the clients are
 *       trusted to follow the protocol, as with distributed DP in general).
 * </ul>
 *
 * <p>The accountant assumes each client is in a round with probability {@code q = selected /
 * available} independently (Poisson sampling), the standard approximation for fixed-size
 * sampling. Noise comes from a {@link SecureRandom}; a seed may be given for reproducible
 * experiments only. Memory: one double per parameter, as FedAvg.
 */
public final class DpFedAvg extends SampledStrategy {
    private static final Logger log = LoggerFactory.getLogger(DpFedAvg.class);

    /** Where the noise is added. */
    public enum Mode { CENTRAL, DISTRIBUTED }

    /**
     * The settings of DP-FedAvg.
     *
     * @param mode where the noise is added
     * @param noiseMultiplier z: the noise standard deviation over the clip bound, the figure the accountant uses
     * @param clip the (initial) clip bound C
     * @param adaptive move C towards the {@code quantile} of the update norms (central only)
     * @param quantile the target quantile of adaptive clipping
     * @param clipLearningRate the geometric step of adaptive clipping
     * @param countNoise standard deviation of the noise on the unclipped count; NaN: the expected
     *        number of clients per round over 20 (Andrew et al.'s recommendation)
     * @param delta the delta of the (epsilon, delta) recorded
     * @param epsilonBudget end the federation before epsilon would pass this; 0: no budget
     * @param serverLearningRate the step of the mean noisy update
     * @param seed a seed for the noise, for experiments only; null: a SecureRandom
     */
    public record Settings(Mode mode, double noiseMultiplier, double clip, boolean adaptive, double quantile,
                           double clipLearningRate, double countNoise, double delta, double epsilonBudget,
                           double serverLearningRate, Long seed) {
        public Settings {
            if (!(noiseMultiplier >= 0 && noiseMultiplier <= 1e3)) {
                throw new IllegalArgumentException("noise multiplier must be in [0, 1000]: " + noiseMultiplier);
            }
            if (!(clip > 0) || !Double.isFinite(clip)) {
                throw new IllegalArgumentException("clip must be positive and finite: " + clip);
            }
            if (!(quantile > 0 && quantile < 1)) {
                throw new IllegalArgumentException("quantile must be in (0, 1): " + quantile);
            }
            if (!(clipLearningRate > 0 && clipLearningRate <= 10)) {
                throw new IllegalArgumentException("clip learning rate must be in (0, 10]: " + clipLearningRate);
            }
            if (!(delta > 0 && delta < 1)) {
                throw new IllegalArgumentException("delta must be in (0, 1): " + delta);
            }
            if (!(epsilonBudget >= 0) || !Double.isFinite(epsilonBudget)) {
                throw new IllegalArgumentException("epsilon budget must be non-negative and finite (0: none): "
                        + epsilonBudget);
            }
            if (!(serverLearningRate > 0 && serverLearningRate <= 100)) {
                throw new IllegalArgumentException("server learning rate must be in (0, 100]: " + serverLearningRate);
            }
            if (!Double.isNaN(countNoise) && !(countNoise >= 0 && Double.isFinite(countNoise))) {
                throw new IllegalArgumentException("count noise must be non-negative: " + countNoise);
            }
        }
    }

    private final Settings settings;
    private final Random random;
    private final RdpAccountant accountant = new RdpAccountant();
    private double clip;
    private double lastSamplingRate = Double.NaN;
    private long privateRounds;
    private Map<String, Double> lastMetrics = Map.of();

    public DpFedAvg(Sampling sampling, Settings settings) {
        super(withClientPrivacy(sampling, settings, settings.clip()));
        this.settings = settings;
        this.clip = settings.clip();
        this.random = settings.seed() == null ? new SecureRandom() : new Random(settings.seed());
    }

    /** In distributed mode, the clients clip to {@code c} and add their share of the noise. */
    private static Sampling withClientPrivacy(Sampling sampling, Settings s, double c) {
        if (s.mode() != Mode.DISTRIBUTED) {
            return sampling;
        }
        double share = s.noiseMultiplier() * c / Math.sqrt(sampling.minAcceptedUpdates());
        LocalTraining local = sampling.instructions().local().withPrivacy(c, share);
        return sampling.withInstructions(sampling.instructions().withLocal(local));
    }

    @Override
    public String name() {
        return "dpfedavg";
    }

    @Override
    public boolean supportsSecureAggregation() {
        return settings.mode() == Mode.DISTRIBUTED;
    }

    @Override
    public boolean equalWeights() {
        return true;
    }

    @Override
    public Optional<String> incompatibility(boolean secureAggregation, Predicate<String> lossy) {
        if (secureAggregation && settings.mode() == Mode.CENTRAL) {
            return Optional.of("central DP clips each update on the coordinator, which secure aggregation hides; "
                    + "use mode=distributed");
        }
        if (settings.adaptive() && settings.mode() == Mode.DISTRIBUTED) {
            return Optional.of("adaptive clipping counts the updates within the bound, which the clients' noise "
                    + "hides; use mode=central or a fixed clip");
        }
        return Optional.empty();
    }

    /** The clip bound the next round uses. */
    public double clip() {
        return clip;
    }

    @Override
    public FitPlan configureFit(long round, List<ClientInfo> available, Random rng) {
        Sampling now = withClientPrivacy(sampling, settings, clip);
        FitPlan plan = now.configureFit(round, available, rng);
        if (!available.isEmpty()) {
            int counted = Math.min(plan.clients().size(), plan.targetUpdates());
            lastSamplingRate = Math.min(1.0, (double) counted / available.size());
        }
        return plan;
    }

    @Override
    public Optional<String> exhausted() {
        if (settings.epsilonBudget() == 0 || Double.isNaN(lastSamplingRate)) {
            return Optional.empty();
        }
        RdpAccountant next = new RdpAccountant();
        next.restore(accountant.state());
        next.step(lastSamplingRate, settings.noiseMultiplier(), 1);
        double after = next.epsilon(settings.delta()).epsilon();
        if (after > settings.epsilonBudget()) {
            double now = privateRounds == 0 ? 0 : accountant.epsilon(settings.delta()).epsilon();
            return Optional.of(String.format(java.util.Locale.ROOT, "privacy budget spent: epsilon %.4g after %d "
                            + "private rounds (delta %g), one more would reach %.4g > budget %.4g", now, privateRounds,
                    settings.delta(), after, settings.epsilonBudget()));
        }
        return Optional.empty();
    }

    @Override
    public Map<String, Double> roundMetrics() {
        return lastMetrics;
    }

    @Override
    public FitAggregation beginFit(long round, GlobalModel current) {
        return new Aggregation(current, clip);
    }

    @Override
    public byte[] state() {
        return StrategyState.writer(name()).doubles(clip, lastSamplingRate, privateRounds)
                .bytes(accountant.state()).toBytes();
    }

    @Override
    public void restoreState(byte[] state) {
        if (state.length == 0) {
            return;
        }
        StrategyState.Reader r = StrategyState.reader(name(), state);
        double[] head = r.doubles();
        if (head.length != 3 || !(head[0] > 0) || head[2] < 0) {
            throw new IllegalArgumentException("the saved DP-FedAvg state is malformed");
        }
        accountant.restore(r.bytes());
        clip = head[0];
        lastSamplingRate = head[1];
        privateRounds = (long) head[2];
    }

    /** Equal-weight sum of the (clipped) updates; noise, accounting and the clip update at the end. */
    private final class Aggregation implements FitAggregation {
        private final GlobalModel current;
        private final double bound;
        private final double[] sum;
        private double count;
        private int accepted;
        private int unclipped;

        Aggregation(GlobalModel current, double bound) {
            this.current = current;
            this.bound = bound;
            this.sum = new double[current.parameterCount()];
        }

        @Override
        public void accept(FitResult result, UpdateChunks delta) {
            if (result.clientId().equals(FitResult.SECURE_AGGREGATE)) {
                // the mean of the survivors' clipped, noised updates, each weighing 1: back to their sum
                double m = result.numExamples();
                delta.forEach((offset, values, length) -> {
                    for (int i = 0; i < length; i++) {
                        sum[offset + i] += m * values[i];
                    }
                });
                count += m;
                accepted++;
                return;
            }
            double scale = 1.0;
            if (settings.mode() == Mode.CENTRAL) {
                double[] squares = new double[1];
                delta.forEach((offset, values, length) -> squares[0] += L2Clip.sumOfSquares(values, 0, length));
                double norm = Math.sqrt(squares[0]);
                scale = L2Clip.scale(norm, bound);
                if (scale == 1.0) {
                    unclipped++;
                }
            }
            double s = scale;
            delta.forEach((offset, values, length) -> {
                for (int i = 0; i < length; i++) {
                    sum[offset + i] += s * values[i];
                }
            });
            count += 1;
            accepted++;
        }

        @Override
        public int accepted() {
            return accepted;
        }

        @Override
        public Optional<float[]> finish(List<Failure> failures) {
            if (count == 0) {
                return Optional.empty();
            }
            double z = settings.noiseMultiplier();
            double countNoise = Double.isNaN(settings.countNoise()) ? Math.max(1.0, count) / 20.0 : settings.countNoise();
            double updateMultiplier = z;
            if (settings.mode() == Mode.CENTRAL && settings.adaptive() && z > 0) {
                updateMultiplier = AdaptiveClipping.updateNoiseMultiplier(z, countNoise);
            }
            if (settings.mode() == Mode.CENTRAL && updateMultiplier > 0) {
                float[] noise = new float[sum.length];
                new GaussianNoise(updateMultiplier * bound, random).addTo(noise, 0, noise.length);
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += noise[i];
                }
            }
            float[] x = current.parameters();
            float[] out = new float[x.length];
            double step = settings.serverLearningRate() / count;
            for (int i = 0; i < x.length; i++) {
                out[i] = (float) (x[i] + step * sum[i]);
            }
            double rate = Double.isNaN(lastSamplingRate) ? 1.0 : lastSamplingRate;
            accountant.step(rate, z, 1);
            privateRounds++;
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("epsilon", z == 0 ? Double.POSITIVE_INFINITY : accountant.epsilon(settings.delta()).epsilon());
            m.put("delta", settings.delta());
            m.put("noise_multiplier", z);
            m.put("clip", bound);
            m.put("sampling_rate", rate);
            if (settings.mode() == Mode.CENTRAL) {
                m.put("unclipped_fraction", unclipped / count);
                if (settings.adaptive()) {
                    clip = new AdaptiveClipping(bound, settings.quantile(), settings.clipLearningRate(),
                            z == 0 ? 0 : countNoise).update(unclipped, (int) count, random);
                    m.put("next_clip", clip);
                }
            }
            lastMetrics = Map.copyOf(m);
            log.debug("DP round: {}", lastMetrics);
            return Optional.of(out);
        }
    }

    @Override
    public String toString() {
        return "DpFedAvg[" + settings + ", " + sampling + "]";
    }
}
