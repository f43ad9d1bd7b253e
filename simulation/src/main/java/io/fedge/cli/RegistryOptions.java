package io.fedge.cli;

import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.coordinator.AdminEndpoint;
import io.fedge.coordinator.Coordinator;
import io.fedge.coordinator.PromotionGuard;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * {@code fedge coordinator}'s options for its model registry and admin endpoint: how many model
 * files are kept, whether new versions become stable by themselves and how much worse they may
 * evaluate, and the port of the admin API and dashboard.
 */
final class RegistryOptions {
    @Option(names = "--keep-models", description = "newest model versions whose files are kept; default ${DEFAULT-VALUE}")
    int keepModels = 5;

    @Option(names = "--keep-best", description = "most accurate model versions whose files are kept besides, as "
            + "rollback targets; default ${DEFAULT-VALUE}")
    int keepBest = 1;

    @Option(names = "--promote", description = "auto: each new version becomes stable unless the guard refuses it; "
            + "manual: only 'fedge models promote' does; default ${DEFAULT-VALUE}")
    String promote = "auto";

    @Option(names = "--promote-margin", description = "the guard refuses to promote a version whose accuracy is more "
            + "than this below the stable one's; default ${DEFAULT-VALUE}")
    double promoteMargin = PromotionGuard.DEFAULT.margin();

    @Option(names = "--canary", description = "try each new edge model on this fraction of inference devices first "
            + "and release it to all only when their telemetry shows it is not worse (needs --edge-every); 0 = off; "
            + "default ${DEFAULT-VALUE}")
    double canary;

    @Option(names = "--canary-alpha", description = "the canary test's false-alarm rate: the chance of rolling back a "
            + "version no worse than stable; default ${DEFAULT-VALUE}")
    double canaryAlpha = io.fedge.coordinator.CanaryTest.DEFAULT.alpha();

    @Option(names = "--admin-port", description = "port of the admin API, metrics (/metrics) and dashboard, over HTTPS "
            + "for administrators' certificates only ('fedge certs admin'); 0 = off; needs TLS; default ${DEFAULT-VALUE}")
    int adminPort;

    void validate(boolean insecure) {
        OptionChecks.atLeast("--keep-models", keepModels, 1);
        OptionChecks.atLeast("--keep-best", keepBest, 0);
        if (!promote.equals("auto") && !promote.equals("manual")) {
            throw new IllegalArgumentException("--promote must be auto or manual, not '" + promote + "'");
        }
        if (!(promoteMargin >= 0 && promoteMargin <= 1)) {
            throw new IllegalArgumentException("--promote-margin must be in [0, 1], not " + promoteMargin);
        }
        OptionChecks.between("--admin-port", adminPort, 0, 65535);
        if (!(canary >= 0 && canary < 1)) {
            throw new IllegalArgumentException("--canary must be in [0, 1), not " + canary);
        }
        if (!(canaryAlpha > 0 && canaryAlpha < 0.5)) {
            throw new IllegalArgumentException("--canary-alpha must be in (0, 0.5), not " + canaryAlpha);
        }
        if (adminPort > 0 && insecure) {
            throw new IllegalArgumentException("--admin-port serves administrators' certificates over TLS; it cannot "
                    + "run with --insecure");
        }
    }

    void applyTo(Coordinator.Builder b, String host, java.nio.file.Path certs,
                 io.fedge.comm.tls.RevocationList revocations) throws IOException {
        b.keepModels(keepModels).keepBestModels(keepBest).autoPromote(promote.equals("auto"))
                .promotionGuard(new PromotionGuard(promoteMargin));
        if (canary > 0) {
            io.fedge.coordinator.CanaryTest d = io.fedge.coordinator.CanaryTest.DEFAULT;
            io.fedge.coordinator.CanaryTest test = new io.fedge.coordinator.CanaryTest(canaryAlpha, d.looks(),
                    d.minTrials(), d.maxTrials());
            b.canary(new io.fedge.coordinator.CanaryPolicy(canary, test, Math.max(1, d.maxTrials() / 20)));
        }
        if (adminPort > 0) {
            b.admin(AdminEndpoint.of(new InetSocketAddress(host, adminPort), new CertificateDirectory(certs),
                    revocations));
        }
    }
}
