package io.fedge.benchmarks;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The cnn's 2x2 stride-2 max pooling (issue 15's profile: about half of a training step), forward
 * and backward, on one thread, two ways into preallocated outputs:
 * <ul>
 * <li>{@code libnd4j}: the {@code maxpool2d} and {@code maxpool2d_bp} ops DL4J's
 *     {@code SubsamplingLayer} runs (NCHW, no padding);</li>
 * <li>{@code reshape}: the input viewed as {@code [N, C, H/2, 2, W/2, 2]} (a view of the
 *     contiguous NCHW array), forward a max reduction over the two window axes, backward the
 *     gradient broadcast to each window times the mask of its maximum.</li>
 * <li>{@code java}: a plain loop over the arrays' buffers, the forward keeping each window's
 *     argmax for the backward, which zeroes the gradient and puts each window's gradient there.</li>
 * </ul>
 * {@link #setup} checks that both forwards give the same output and, on inputs without ties,
 * both backwards the same gradient, so the timings compare the same arithmetic.
 *
 * <pre>
 * OMP_NUM_THREADS=1 benchmarks/jmh MaxPooling
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MaxPoolingBenchmark {
    /** The cnn's two pooling inputs at batch 32: after its first and second convolution. */
    @Param({"32x16x28x28", "32x32x14x14"})
    String shape;

    private INDArray x;
    private INDArray x6;
    private INDArray out;
    private INDArray out6;
    private INDArray eps;
    private INDArray eps6;
    private INDArray grad;
    private INDArray grad6;
    private INDArray mask6;
    private DynamicCustomOp forward;
    private java.nio.FloatBuffer xb;
    private java.nio.FloatBuffer outb;
    private java.nio.FloatBuffer epsb;
    private java.nio.FloatBuffer gradb;
    private int[] argmax;
    private int planes;
    private int height;
    private int width;
    private DynamicCustomOp backward;

    @Setup
    public void setup() {
        String[] d = shape.split("x");
        long n = Long.parseLong(d[0]), c = Long.parseLong(d[1]), h = Long.parseLong(d[2]), w = Long.parseLong(d[3]);
        Nd4j.getRandom().setSeed(1);
        x = Nd4j.rand(DataType.FLOAT, n, c, h, w); // continuous values: no ties within a window
        x6 = x.reshape('c', n, c, h / 2, 2, w / 2, 2);
        out = Nd4j.create(DataType.FLOAT, n, c, h / 2, w / 2);
        out6 = out.reshape('c', n, c, h / 2, 1, w / 2, 1);
        eps = Nd4j.rand(DataType.FLOAT, n, c, h / 2, w / 2);
        eps6 = eps.reshape('c', n, c, h / 2, 1, w / 2, 1);
        grad = Nd4j.create(DataType.FLOAT, n, c, h, w);
        grad6 = grad.reshape('c', n, c, h / 2, 2, w / 2, 2);
        mask6 = Nd4j.create(DataType.BOOL, n, c, h / 2, 2, w / 2, 2);
        // kH, kW, sH, sW, pH, pW, dH, dW, same mode, extra (0 for max), data format (0: NCHW)
        int[] args = {2, 2, 2, 2, 0, 0, 1, 1, 0, 0, 0};
        forward = DynamicCustomOp.builder("maxpool2d").addInputs(x).addOutputs(out).addIntegerArguments(args).build();
        backward = DynamicCustomOp.builder("maxpool2d_bp").addInputs(x, eps).addOutputs(grad)
                .addIntegerArguments(args).build();
        xb = x.data().asNioFloat();
        outb = out.data().asNioFloat();
        epsb = eps.data().asNioFloat();
        gradb = grad.data().asNioFloat();
        planes = (int) (n * c);
        height = (int) h;
        width = (int) w;
        argmax = new int[(int) out.length()];
        libnd4jForward();
        INDArray expectedOut = out.dup();
        libnd4jBackward();
        INDArray expectedGrad = grad.dup();
        reshapeForward();
        check(expectedOut, out, "forward");
        reshapeBackward();
        check(expectedGrad, grad, "backward");
        out.assign(0);
        grad.assign(0);
        javaForward();
        check(expectedOut, out, "forward");
        javaBackward();
        check(expectedGrad, grad, "backward");
    }

    private static void check(INDArray expected, INDArray actual, String what) {
        double diff = expected.sub(actual).norm1Number().doubleValue();
        if (diff != 0) {
            throw new IllegalStateException("the two " + what + " passes differ (L1 " + diff + ")");
        }
    }

    @Benchmark
    public INDArray libnd4jForward() {
        Nd4j.exec(forward);
        return out;
    }

    @Benchmark
    public INDArray libnd4jBackward() {
        Nd4j.exec(backward);
        return grad;
    }

    @Benchmark
    public INDArray reshapeForward() {
        Nd4j.getExecutioner().exec(new org.nd4j.linalg.api.ops.impl.reduce.same.Max(x6, out, 3, 5));
        return out;
    }

    @Benchmark
    public INDArray reshapeBackward() {
        // out6 holds the forward's maxima: mask = (x == max of its window), grad = mask * eps of its window
        Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.custom.EqualTo(x6, out6, mask6));
        grad6.assign(mask6);
        grad6.muli(eps6);
        return grad;
    }

    @Benchmark
    public INDArray javaForward() {
        int oh = height / 2, ow = width / 2, o = 0;
        for (int p = 0; p < planes; p++) {
            int base = p * height * width;
            for (int i = 0; i < oh; i++) {
                int row = base + 2 * i * width;
                for (int j = 0; j < ow; j++, o++) {
                    int a = row + 2 * j;
                    int best = a;
                    float m = xb.get(a);
                    if (xb.get(a + 1) > m) { best = a + 1; m = xb.get(a + 1); }
                    if (xb.get(a + width) > m) { best = a + width; m = xb.get(a + width); }
                    if (xb.get(a + width + 1) > m) { best = a + width + 1; m = xb.get(a + width + 1); }
                    outb.put(o, m);
                    argmax[o] = best;
                }
            }
        }
        return out;
    }

    @Benchmark
    public INDArray javaBackward() {
        int total = planes * height * width;
        for (int i = 0; i < total; i++) {
            gradb.put(i, 0f);
        }
        for (int o = 0; o < argmax.length; o++) {
            gradb.put(argmax[o], epsb.get(o));
        }
        return grad;
    }
}
