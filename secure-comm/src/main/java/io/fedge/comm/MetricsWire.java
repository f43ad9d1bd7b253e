package io.fedge.comm;

import io.fedge.comm.proto.EvaluateResult;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.fedge.core.metrics.ClassificationMetrics;
import io.fedge.core.metrics.Metrics;
import io.fedge.core.metrics.RegressionMetrics;

/**
 * A client's detailed evaluation metrics on the wire ({@code EvaluateResult}'s confusion matrix or
 * regression sums), so that the coordinator merges the clients' metrics exactly, as sums, into
 * the federation's per-class precision, recall, F1 and confusion matrix, or per-target MSE and MAE.
 *
 * <p>What a client sends is bounded and checked against the model and against the client's own
 * report before it counts: a confusion matrix of exactly the model's classes squared (at most
 * {@link ClassificationMetrics#MAX_DETAILED_CLASSES} classes) whose counts add up to the examples it
 * claims and whose diagonal gives the accuracy it claims; regression sums, one per model output,
 * finite and non-negative, whose mean gives the loss it claims. Anything else is refused, that
 * client's evaluation alone.
 */
public final class MetricsWire {
    /** How far a reported accuracy or loss may differ from what the sums give (float rounding of the client's sums). */
    private static final double TOLERANCE = 1e-6;

    private MetricsWire() {
    }

    /** Puts {@code metrics} (null: nothing) on {@code b}; a classifier of more than 50 classes sends none. */
    public static void write(Metrics metrics, EvaluateResult.Builder b) {
        if (metrics instanceof ClassificationMetrics c && c.classes() <= ClassificationMetrics.MAX_DETAILED_CLASSES) {
            for (int a = 0; a < c.classes(); a++) {
                for (int p = 0; p < c.classes(); p++) {
                    b.addConfusion(c.count(a, p));
                }
            }
        } else if (metrics instanceof RegressionMetrics r) {
            for (int t = 0; t < r.targets(); t++) {
                b.addSquaredErrorSums(r.squaredErrorSum(t));
                b.addAbsoluteErrorSums(r.absoluteErrorSum(t));
            }
        }
    }

    /**
     * The detailed metrics {@code r} carries, or null if it carries none (an older client, more
     * than 50 classes).
     *
     * @param outputs the evaluated model's output width: its classes, or its regression targets
     * @throws FedgeException ({@code MALFORMED}) naming what does not fit
     */
    public static Metrics read(EvaluateResult r, int outputs) {
        boolean classification = r.getConfusionCount() > 0;
        boolean regression = r.getSquaredErrorSumsCount() > 0 || r.getAbsoluteErrorSumsCount() > 0;
        if (!classification && !regression) {
            return null;
        }
        if (classification && regression) {
            throw malformed("evaluation carries both a confusion matrix and regression sums");
        }
        long n = r.getNumExamples();
        if (n <= 0) {
            throw malformed("evaluation with detailed metrics claims " + Long.toUnsignedString(n) + " examples");
        }
        return classification ? confusion(r, outputs, n) : regression(r, outputs, n);
    }

    private static Metrics confusion(EvaluateResult r, int classes, long n) {
        if (classes < 1 || classes > ClassificationMetrics.MAX_DETAILED_CLASSES
                || r.getConfusionCount() != (long) classes * classes) {
            throw malformed("confusion matrix of " + r.getConfusionCount() + " counts, expected " + classes + " x "
                    + classes + " for the model's " + classes + " classes");
        }
        long[][] m = new long[classes][classes];
        long total = 0;
        long correct = 0;
        for (int a = 0; a < classes; a++) {
            for (int p = 0; p < classes; p++) {
                long count = r.getConfusion(a * classes + p);
                if (count < 0 || count > n) { // unsigned on the wire: beyond 2^63 reads negative
                    throw malformed("confusion count " + Long.toUnsignedString(count) + " at " + a + "," + p
                            + " exceeds the " + n + " examples evaluated");
                }
                if (count > n - total) {
                    throw malformed("confusion counts add up to more than the " + n + " examples evaluated");
                }
                m[a][p] = count;
                total += count;
                if (a == p) {
                    correct += count;
                }
            }
        }
        if (total != n) {
            throw malformed("confusion counts add up to " + total + ", the evaluation claims " + n + " examples");
        }
        double accuracy = (double) correct / n;
        if (!(Math.abs(accuracy - r.getAccuracy()) <= TOLERANCE)) { // so written, a NaN is refused too
            throw malformed("accuracy " + r.getAccuracy() + " does not match its confusion matrix's " + accuracy);
        }
        if (!Double.isFinite(r.getLoss()) || r.getLoss() < 0) {
            throw malformed("loss " + r.getLoss() + " with a confusion matrix");
        }
        return ClassificationMetrics.ofConfusion(m, r.getLoss() * n);
    }

    private static Metrics regression(EvaluateResult r, int targets, long n) {
        if (targets < 1 || r.getSquaredErrorSumsCount() != targets || r.getAbsoluteErrorSumsCount() != targets) {
            throw malformed("regression sums for " + r.getSquaredErrorSumsCount() + " and "
                    + r.getAbsoluteErrorSumsCount() + " targets, the model has " + targets);
        }
        double[] se = new double[targets];
        double[] ae = new double[targets];
        for (int t = 0; t < targets; t++) {
            se[t] = r.getSquaredErrorSums(t);
            ae[t] = r.getAbsoluteErrorSums(t);
            if (!Double.isFinite(se[t]) || !Double.isFinite(ae[t]) || se[t] < 0 || ae[t] < 0) {
                throw malformed("regression sums of target " + t + " are " + se[t] + " and " + ae[t]
                        + "; they must be finite and non-negative");
            }
        }
        RegressionMetrics m = RegressionMetrics.ofSums(n, se, ae);
        if (!Double.isFinite(m.loss()) || !(Math.abs(m.loss() - r.getLoss()) <= TOLERANCE * Math.max(1, Math.abs(m.loss())))) {
            throw malformed("loss " + r.getLoss() + " does not match its regression sums' mean squared error "
                    + m.loss());
        }
        return m;
    }

    private static FedgeException malformed(String message) {
        return new FedgeException(ErrorCode.MALFORMED, message);
    }
}
