package io.fedge.aggregation.strategies;

import io.fedge.aggregation.DpFedAvg;
import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.Strategy;
import io.fedge.aggregation.StrategyFactory;
import io.fedge.aggregation.StrategyParameters;

import java.util.List;
import java.util.Locale;

/** {@code dpfedavg}: DP-FedAvg with central or distributed Gaussian noise and a Rényi-DP accountant. */
public final class DpFedAvgFactory implements StrategyFactory {
    @Override
    public String name() {
        return "dpfedavg";
    }

    @Override
    public String summary() {
        return "DP-FedAvg (McMahan et al. 2018): clipped updates, equal weights, Gaussian noise added centrally or "
                + "by the clients (composes with --secure-aggregation), (epsilon, delta) recorded every round";
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(
                new Parameter("noise", "1.0", "noise multiplier z: noise stddev over the clip bound, in [0, 1000]"),
                new Parameter("clip", "1.0", "L2 clip bound C of each update (the first one when adaptive)"),
                new Parameter("mode", "central", "central (the coordinator clips and adds noise) or distributed "
                        + "(each client clips and adds its share; needed under secure aggregation)"),
                new Parameter("adaptive", "false", "adapt C to a quantile of the update norms (Andrew et al. 2021; "
                        + "central only)"),
                new Parameter("quantile", "0.5", "adaptive clipping's target quantile, in (0, 1)"),
                new Parameter("clip_lr", "0.2", "adaptive clipping's geometric step, in (0, 10]"),
                new Parameter("count_noise", "auto", "stddev of the noise on the unclipped count; auto: clients "
                        + "per round / 20"),
                new Parameter("delta", "1e-5", "the delta of the (epsilon, delta) recorded"),
                new Parameter("epsilon", "0", "privacy budget: the federation ends before epsilon passes it; 0: none"),
                new Parameter("server_lr", "1.0", "step of the mean noisy update, in (0, 100]"),
                new Parameter("seed", "none", "seed of the noise, for experiments only; none: SecureRandom"),
                LocalMomentum.PARAMETER, BatchNormParameter.PARAMETER);
    }

    @Override
    public Strategy create(Sampling sampling, StrategyParameters p) {
        String countNoise = p.text("count_noise").toLowerCase(Locale.ROOT);
        String seed = p.text("seed").toLowerCase(Locale.ROOT);
        Long seedValue = null;
        if (!seed.equals("none")) {
            try {
                seedValue = Long.parseLong(seed);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("strategy dpfedavg: seed must be an integer or none, got '" + seed + "'");
            }
        }
        DpFedAvg.Settings settings;
        try {
            settings = new DpFedAvg.Settings(
                    DpFedAvg.Mode.valueOf(p.choice("mode", List.of("central", "distributed")).toUpperCase(Locale.ROOT)),
                    p.number("noise"), p.number("clip"), p.flag("adaptive"), p.number("quantile"),
                    p.number("clip_lr"), countNoise.equals("auto") ? Double.NaN : p.number("count_noise"),
                    p.number("delta"), p.number("epsilon"), p.number("server_lr"), seedValue);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("strategy ")) {
                throw e;
            }
            throw new IllegalArgumentException("strategy dpfedavg: " + e.getMessage(), e);
        }
        return new DpFedAvg(BatchNormParameter.apply(LocalMomentum.apply(sampling, p), p), settings);
    }
}
