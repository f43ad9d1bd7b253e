/**
 * The differential-privacy arithmetic of DP-FedAvg (McMahan, Ramage, Talwar and Zhang 2018):
 * each client's update is clipped to an L2 bound ({@link io.fedge.aggregation.privacy.L2Clip}),
 * optionally a bound that tracks a quantile of the update norms
 * ({@link io.fedge.aggregation.privacy.AdaptiveClipping}); the sum of the clipped updates gets
 * Gaussian noise of stddev noise-multiplier times bound
 * ({@link io.fedge.aggregation.privacy.GaussianNoise}); and each round, as a step of the sampled
 * Gaussian mechanism, is recorded by a Rényi-DP accountant
 * ({@link io.fedge.aggregation.privacy.RdpAccountant}, with
 * {@link io.fedge.aggregation.privacy.SampledGaussianRdp} and
 * {@link io.fedge.aggregation.privacy.RdpConversion}) that reports the (epsilon, delta) spent.
 * {@link io.fedge.aggregation.privacy.NoiseCalibration} picks the multiplier for a budget.
 *
 * <p>Pure Java, one concern per class, each checked against hand calculations or the published
 * figures of TensorFlow Privacy and Opacus. The guarantee is at the level of whatever a sampled
 * unit is: with clients sampled at rate q and one clipped update per client, user-level DP.
 */
package io.fedge.aggregation.privacy;
