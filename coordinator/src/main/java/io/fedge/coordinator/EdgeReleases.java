package io.fedge.coordinator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Optional;

/**
 * Which edge models the inference fleet gets: the stable one, and, under a {@link CanaryPolicy},
 * a canary for the devices {@link CanarySplit} picks, decided by the {@link CanaryTest} on the
 * devices' telemetry and then promoted (it becomes stable) or rolled back (its devices go back to
 * stable), by itself; the registry's {@code stable} and {@code canary} labels follow. A new edge
 * model that arrives while a canary runs waits (the newest one only) and becomes the next canary.
 * Without a policy every new edge model is served to every device at once. Thread-safe.
 */
final class EdgeReleases {
    private static final Logger log = LoggerFactory.getLogger(EdgeReleases.class);

    /** One edge model file and the global version it was made from. */
    record Release(long version, byte[] file) {
    }

    /**
     * What a telemetry report came to: the canary's state after it, or the verdict it brought
     * about ("promoted version V", "rolled back version V"), even when the next canary started.
     */
    record Reported(String canaryState) {
    }

    private final CanaryPolicy policy;
    private final ModelLifecycle lifecycle;
    private volatile Release stable;
    private volatile Release canary;
    private volatile CanarySplit split;
    private Release pending;
    private CanaryAnalysis analysis;
    private volatile String canaryState = "none";
    private volatile CanaryTest.Decision lastDecision;

    /** @param policy the canary policy, or null to release every new edge model at once */
    EdgeReleases(CanaryPolicy policy, ModelLifecycle lifecycle) {
        this.policy = policy;
        this.lifecycle = lifecycle;
    }

    /** Records where an edge model came from in the registry (before it is released). */
    void recordExport(EdgeExportEntry e) throws IOException {
        lifecycle.edgeExported(e);
    }

    /** A new edge model is ready; {@code asCanary} starts a canary with it now (an administrator asked). */
    synchronized void exported(Release r, boolean asCanary) throws IOException {
        if (policy == null) {
            stable = r;
            return;
        }
        if (stable == null) {
            // the registry's label first, then the release devices and readers see: whoever sees the
            // version served (stableVersion) finds it labelled too
            lifecycle.labelStable(r.version(), "the first edge model");
            stable = r;
            return;
        }
        if (canary == null || asCanary) {
            if (canary != null) {
                log.info("canary of version {} replaced by version {} before its verdict", canary.version(), r.version());
            }
            startCanary(r);
        } else {
            pending = r;
        }
    }

    private void startCanary(Release r) throws IOException {
        pending = null;
        lifecycle.labelCanary(r.version()); // labelled before it is served, as the stable one
        split = new CanarySplit(policy.fraction(), r.version());
        analysis = new CanaryAnalysis(stable.version(), r.version(), policy);
        canaryState = "running";
        canary = r;
        log.info("canary: edge model of version {} on {}% of devices, stable is version {}", r.version(),
                Math.round(policy.fraction() * 100), stable.version());
    }

    /** The release {@code deviceId} gets (null id: stable), or empty before the first. */
    Optional<Release> serve(String deviceId) {
        Release c = canary;
        CanarySplit s = split;
        if (c != null && deviceId != null && s != null && s.canary(deviceId)) {
            return Optional.of(c);
        }
        return Optional.ofNullable(stable);
    }

    /**
     * Counts a device's report on the version it ran, refused when that is neither version served
     * to it, and applies the verdict it brings about.
     *
     * @throws IllegalArgumentException with the one-line reason when refused
     */
    synchronized Reported report(EdgeTelemetry t) throws IOException {
        Release c = canary;
        Release s = stable;
        boolean onCanary;
        if (c != null && t.version() == c.version()) {
            if (!split.canary(t.device())) {
                throw new IllegalArgumentException("device " + t.device() + " reports version " + t.version()
                        + ", the canary, which it is not served");
            }
            onCanary = true;
        } else if (s != null && t.version() == s.version()) {
            if (c != null && split.canary(t.device())) {
                // it ran stable before the canary reached it: counts for nothing in the test
                return new Reported(canaryState);
            }
            onCanary = false;
        } else {
            throw new IllegalArgumentException("version " + t.version() + " is not served (stable "
                    + (s == null ? "none" : s.version()) + ", canary " + (c == null ? "none" : c.version()) + ")");
        }
        if (analysis == null) {
            return new Reported(canaryState);
        }
        Optional<CanaryTest.Decision> d = analysis.report(t, onCanary);
        if (d.isPresent()) {
            // the verdict this report brought about, even when the next canary starts at once
            return new Reported(decide(d.get()));
        }
        return new Reported(canaryState);
    }

    /** Applies the verdict; returns it as a state ("promoted version V" or "rolled back version V"). */
    private String decide(CanaryTest.Decision d) throws IOException {
        Release c = canary;
        lastDecision = d;
        if (d.verdict() == CanaryTest.Verdict.PROMOTE) {
            lifecycle.labelStable(c.version(), "canary " + d.reason());
            stable = c;
            canaryState = "promoted version " + c.version();
            log.info("canary of version {} promoted to stable: {}", c.version(), d.reason());
        } else {
            canaryState = "rolled back version " + c.version();
            log.warn("canary of version {} rolled back, devices return to version {}: {}", c.version(),
                    stable.version(), d.reason());
        }
        String verdict = canaryState;
        lifecycle.unlabelCanary();
        canary = null;
        split = null;
        analysis = null;
        if (pending != null) {
            startCanary(pending);
        }
        return verdict;
    }

    /** The version served as stable, or -1. */
    long stableVersion() {
        Release s = stable;
        return s == null ? -1 : s.version();
    }

    /** The version on trial, or -1. */
    long canaryVersion() {
        Release c = canary;
        return c == null ? -1 : c.version();
    }

    /** "none", "running", "promoted version V" or "rolled back version V". */
    String canaryState() {
        return canaryState;
    }

    /** The running canary's evidence, if one runs. */
    synchronized Optional<CanaryAnalysis> analysis() {
        return Optional.ofNullable(analysis);
    }

    /** The verdict of the last canary decided, if any. */
    Optional<CanaryTest.Decision> lastDecision() {
        return Optional.ofNullable(lastDecision);
    }
}
