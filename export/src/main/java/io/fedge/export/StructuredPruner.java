package io.fedge.export;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * Structured magnitude pruning of a distilled student: in every hidden layer, the neurons (dense)
 * or channels (convolution) whose incoming weights have the smallest L2 norm are removed whole,
 * keeping {@code keep} of them, so the model really is smaller and faster; then a short fine-tune
 * on the transfer set with the distillation loss recovers what the cut cost. Only for the presets,
 * whose wiring it knows.
 *
 * @param keep the fraction of units kept in each hidden layer, in (0, 1]
 * @param fineTune how the pruned student is fine-tuned (its epochs; the distillation settings)
 */
public record StructuredPruner(double keep, Distiller fineTune) implements Pruner {
    public StructuredPruner {
        if (!(keep > 0 && keep <= 1)) {
            throw new IllegalArgumentException("keep must be in (0, 1]: " + keep);
        }
    }

    @Override
    public String describe() {
        return "structured, keep " + keep;
    }

    /**
     * The pruned, fine-tuned student (softmax output).
     *
     * @throws IllegalArgumentException if {@code spec} is not a preset
     */
    @Override
    public MultiLayerNetwork prune(MultiLayerNetwork student, Student spec, ClassifierShape shape, INDArray features,
                                   INDArray targets) {
        if (!(spec instanceof Student.Preset preset)) {
            throw new IllegalArgumentException("structured pruning cuts the presets " + StudentPresets.NAMES
                    + ", whose wiring it knows; student " + spec.name() + " is not one (unstructured pruning takes any)");
        }
        String name = preset.name();
        int[] widths = StudentPresets.widths(name);
        int[] kept = new int[widths.length];
        for (int i = 0; i < widths.length; i++) {
            kept[i] = Math.max(1, (int) Math.ceil(keep * widths[i] - 1e-9));
        }
        MultiLayerConfiguration inference = StudentPresets.build(name, kept, fineTune.seed(), fineTune.learningRate(),
                null, shape);
        MultiLayerNetwork pruned = new MultiLayerNetwork(DistillationHead.training(inference,
                new DistillationLoss(fineTune.temperature(), fineTune.alpha())));
        pruned.init();
        if (name.equals("mlp-small")) {
            int[] k = strongest(denseNorms(student.getLayer(0).getParam("W")), kept[0]);
            copyDense(student, pruned, 0, null, k);
            copyDense(student, pruned, 1, k, null);
        } else {
            int[] k1 = strongest(convNorms(student.getLayer(0).getParam("W")), kept[0]);
            int[] k2 = strongest(convNorms(student.getLayer(2).getParam("W")), kept[1]);
            int[] k3 = strongest(denseNorms(student.getLayer(4).getParam("W")), kept[2]);
            // the dense layer reads conv2's channels flattened, each its pooled plane
            int area = (int) (student.getLayer(4).getParam("W").size(0) / widths[1]);
            copyConv(student, pruned, 0, null, k1);
            copyConv(student, pruned, 2, k1, k2);
            copyDense(student, pruned, 4, flattenedRows(k2, area), k3);
            copyDense(student, pruned, 5, k3, null);
        }
        fineTune.train(pruned, features, targets);
        MultiLayerNetwork out = new MultiLayerNetwork(inference);
        out.init(pruned.params().dup(), false);
        return out;
    }

    /** L2 norm of each output neuron's incoming weights; W is [in, out]. */
    private static double[] denseNorms(INDArray w) {
        return w.norm2(0).toDoubleVector();
    }

    /** L2 norm of each output channel's kernel; W is [out, in, kh, kw]. */
    private static double[] convNorms(INDArray w) {
        return w.reshape(w.size(0), -1).norm2(1).toDoubleVector();
    }

    /** The indices of the {@code k} largest norms, in ascending index order. */
    static int[] strongest(double[] norms, int k) {
        Integer[] order = new Integer[norms.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(norms[b], norms[a]));
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = order[i];
        }
        Arrays.sort(out);
        return out;
    }

    /** Dense input rows of the kept channels after flattening ({@code area} values per channel, channel-major). */
    private static int[] flattenedRows(int[] channels, int area) {
        int[] rows = new int[channels.length * area];
        for (int i = 0; i < channels.length; i++) {
            for (int a = 0; a < area; a++) {
                rows[i * area + a] = channels[i] * area + a;
            }
        }
        return rows;
    }

    /** Copies W [in, out] and b of layer {@code l}, keeping rows {@code in} and columns {@code out} (null = all). */
    private static void copyDense(MultiLayerNetwork from, MultiLayerNetwork to, int l, int[] in, int[] out) {
        INDArray w = from.getLayer(l).getParam("W");
        INDArray b = from.getLayer(l).getParam("b");
        int[] rows = in != null ? in : all((int) w.size(0));
        int[] cols = out != null ? out : all((int) w.size(1));
        INDArray nw = Nd4j.create(w.dataType(), rows.length, cols.length);
        INDArray nb = Nd4j.create(b.dataType(), 1, cols.length);
        for (int r = 0; r < rows.length; r++) {
            for (int c = 0; c < cols.length; c++) {
                nw.putScalar(r, c, w.getDouble(rows[r], cols[c]));
            }
        }
        for (int c = 0; c < cols.length; c++) {
            nb.putScalar(0, c, b.getDouble(cols[c]));
        }
        to.getLayer(l).setParam("W", nw);
        to.getLayer(l).setParam("b", nb);
    }

    /** Copies W [out, in, k, k] and b of convolution {@code l}, keeping input channels {@code in} and outputs {@code out}. */
    private static void copyConv(MultiLayerNetwork from, MultiLayerNetwork to, int l, int[] in, int[] out) {
        INDArray w = from.getLayer(l).getParam("W");
        INDArray b = from.getLayer(l).getParam("b");
        int[] ins = in != null ? in : all((int) w.size(1));
        int k = (int) w.size(2);
        INDArray nw = Nd4j.create(w.dataType(), out.length, ins.length, k, k);
        INDArray nb = Nd4j.create(b.dataType(), 1, out.length);
        for (int o = 0; o < out.length; o++) {
            for (int c = 0; c < ins.length; c++) {
                for (int y = 0; y < k; y++) {
                    for (int x = 0; x < k; x++) {
                        nw.putScalar(new long[] {o, c, y, x}, w.getDouble(out[o], ins[c], y, x));
                    }
                }
            }
            nb.putScalar(0, o, b.getDouble(out[o]));
        }
        to.getLayer(l).setParam("W", nw);
        to.getLayer(l).setParam("b", nb);
    }

    private static int[] all(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }
}
