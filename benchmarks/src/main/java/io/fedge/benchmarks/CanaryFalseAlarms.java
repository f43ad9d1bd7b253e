package io.fedge.benchmarks;

import io.fedge.coordinator.CanaryTest;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * How often the coordinator's canary test decides wrongly, over many seeded trials of a simulated
 * fleet: {@code devices} devices, a {@code fraction} of them on the canary, each reporting
 * {@code batch} labelled inferences per sweep, right with probability {@code pStable} on stable
 * and {@code pCanary} on the canary, each counted up to {@code cap} labelled inferences per
 * version (as the coordinator counts them). Prints the rate of rollbacks (a false alarm when the
 * two accuracies are equal), the mean labelled canary inferences to the verdict, and its spread.
 *
 * <pre>java -cp "benchmarks/target/fedge-benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*" \
 *     io.fedge.benchmarks.CanaryFalseAlarms TRIALS P_STABLE P_CANARY [ALPHA]</pre>
 */
public final class CanaryFalseAlarms {
    private CanaryFalseAlarms() {
    }

    public static void main(String[] args) {
        int trials = Integer.parseInt(args[0]);
        double pStable = Double.parseDouble(args[1]);
        double pCanary = Double.parseDouble(args[2]);
        double alpha = args.length > 3 ? Double.parseDouble(args[3]) : CanaryTest.DEFAULT.alpha();
        CanaryTest d = CanaryTest.DEFAULT;
        CanaryTest test = new CanaryTest(alpha, d.looks(), d.minTrials(), d.maxTrials());
        int devices = 1_000;
        int every = 10; // every tenth device on the canary, spread through the fleet as the hash split spreads them
        int batch = 10;
        long cap = d.maxTrials() / 20;
        int rollbacks = 0;
        long spent = 0;
        long[] spentEach = new long[trials];
        for (int t = 0; t < trials; t++) {
            SplittableRandom rng = new SplittableRandom(t);
            long[] counted = new long[devices];
            long st = 0, sc = 0, ct = 0, cc = 0;
            int look = 0;
            CanaryTest.Verdict verdict = CanaryTest.Verdict.CONTINUE;
            long canaryInferences = 0;
            while (verdict == CanaryTest.Verdict.CONTINUE) {
                for (int dev = 0; dev < devices && verdict == CanaryTest.Verdict.CONTINUE; dev++) {
                    boolean canary = dev % every == 0;
                    double p = canary ? pCanary : pStable;
                    long right = 0;
                    for (int k = 0; k < batch; k++) {
                        right += rng.nextDouble() < p ? 1 : 0;
                    }
                    long take = Math.min(batch, cap - counted[dev]);
                    long takeRight = Math.min(right, Math.round(right * (take / (double) batch)));
                    counted[dev] += Math.max(0, take);
                    if (canary) {
                        canaryInferences += batch;
                        ct += Math.max(0, take);
                        cc += Math.max(0, takeRight);
                    } else {
                        st += Math.max(0, take);
                        sc += Math.max(0, takeRight);
                    }
                    while (look < test.looks() && ct >= test.trialsAt(look + 1) && st > 0
                            && verdict == CanaryTest.Verdict.CONTINUE) {
                        look++;
                        verdict = test.decide(look, st, sc, ct, cc).verdict();
                    }
                }
            }
            if (verdict == CanaryTest.Verdict.ROLL_BACK) {
                rollbacks++;
            }
            spent += canaryInferences;
            spentEach[t] = canaryInferences;
        }
        java.util.Arrays.sort(spentEach);
        System.out.printf(Locale.ROOT, "%d trials, stable %.4f, canary %.4f, alpha %.3f: rolled back %.4f of trials; "
                        + "canary inferences to the verdict: mean %.0f, median %d, p95 %d%n", trials, pStable, pCanary,
                alpha, rollbacks / (double) trials, spent / (double) trials, spentEach[trials / 2],
                spentEach[(int) (trials * 0.95)]);
    }
}
