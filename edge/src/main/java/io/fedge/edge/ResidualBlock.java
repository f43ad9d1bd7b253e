package io.fedge.edge;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A residual block: {@code activation(main(x) + shortcut(x))}, where {@code main} is a chain of
 * layers and {@code shortcut} another (empty: the identity). This is ResNet's block, the one fork
 * and join the edge format knows; a block holds no block.
 *
 * <p>In the full-integer mode each branch ends in int8 at its own scale ({@code mainScale},
 * {@code shortcutScale}: the block's input scale for an identity shortcut); the sum is formed in
 * float, activated and requantized to {@code outputScale}, as ONNX's QDQ {@code Add} does.
 */
public final class ResidualBlock implements EdgeLayer {
    static final int TYPE = 8;
    /** The most layers one branch holds. */
    static final int MAX_BRANCH = 64;

    private final List<EdgeLayer> main;
    private final List<EdgeLayer> shortcut;
    private final EdgeActivation activation;
    private final float mainScale;
    private final float shortcutScale;
    private final float outputScale;
    private final int[] inputShape;
    private final int[] outputShape;

    /**
     * @param main at least one layer
     * @param shortcut the layers of the other branch; empty for the identity
     * @throws IllegalArgumentException if a branch does not chain, the branches' outputs differ, a
     *     branch holds a block or too many layers, or a scale is negative or not finite
     */
    public ResidualBlock(List<EdgeLayer> main, List<EdgeLayer> shortcut, EdgeActivation activation, float mainScale,
                         float shortcutScale, float outputScale) {
        this.main = List.copyOf(main);
        this.shortcut = List.copyOf(shortcut);
        this.activation = java.util.Objects.requireNonNull(activation, "activation");
        if (this.main.isEmpty() || this.main.size() > MAX_BRANCH || this.shortcut.size() > MAX_BRANCH) {
            throw new IllegalArgumentException("a residual block's main branch holds 1 to " + MAX_BRANCH
                    + " layers and its shortcut 0 to " + MAX_BRANCH + ": " + this.main.size() + " and "
                    + this.shortcut.size());
        }
        for (EdgeLayer l : this.main) {
            refuseBlock(l);
        }
        for (EdgeLayer l : this.shortcut) {
            refuseBlock(l);
        }
        for (float s : new float[] {mainScale, shortcutScale, outputScale}) {
            if (!(s >= 0 && Float.isFinite(s))) {
                throw new IllegalArgumentException("a residual block's scales must be finite and non-negative: " + s);
            }
        }
        this.inputShape = this.main.get(0).inputShape();
        if (this.main.get(0).inputSize() != EdgeLayer.size(inputShape)) {
            throw new IllegalArgumentException("main branch layer 0 reads " + this.main.get(0).inputSize() + " values");
        }
        this.outputShape = LayerChain.check(inputShape, this.main, "residual main branch: ");
        int[] other = LayerChain.check(inputShape, this.shortcut, "residual shortcut: ");
        if (EdgeLayer.size(other) != EdgeLayer.size(outputShape)
                || (other.length == 3 && outputShape.length == 3 && !java.util.Arrays.equals(other, outputShape))) {
            throw new IllegalArgumentException("a residual block adds branches of one shape: the main branch gives "
                    + LayerChain.describe(outputShape) + ", the shortcut " + LayerChain.describe(other));
        }
        this.mainScale = mainScale;
        this.shortcutScale = shortcutScale;
        this.outputScale = outputScale;
    }

    private static void refuseBlock(EdgeLayer l) {
        if (l instanceof ResidualBlock) {
            throw new IllegalArgumentException("a residual block holds no residual block");
        }
    }

    public List<EdgeLayer> main() {
        return main;
    }

    /** The shortcut branch; empty for the identity. */
    public List<EdgeLayer> shortcut() {
        return shortcut;
    }

    /** What follows the sum. */
    public EdgeActivation activation() {
        return activation;
    }

    /** The int8 scale of the main branch's output. */
    public float mainScale() {
        return mainScale;
    }

    /** The int8 scale of the shortcut's output (the block's input scale when it is the identity). */
    public float shortcutScale() {
        return shortcutScale;
    }

    /** The int8 scale of the block's output. */
    public float outputScale() {
        return outputScale;
    }

    @Override
    public int inputSize() {
        return (int) EdgeLayer.size(inputShape);
    }

    @Override
    public int outputSize() {
        return (int) EdgeLayer.size(outputShape);
    }

    @Override
    public int[] inputShape() {
        return inputShape.clone();
    }

    @Override
    public int[] outputShape() {
        return outputShape.clone();
    }

    private static byte[] run(List<EdgeLayer> chain, byte[] x) {
        byte[] v = x;
        for (EdgeLayer l : chain) {
            byte[] y = new byte[l.outputSize()];
            l.forward(v, y, null);
            v = y;
        }
        return v;
    }

    private static float[] run(List<EdgeLayer> chain, float[] x) {
        float[] v = x;
        for (EdgeLayer l : chain) {
            float[] y = new float[l.outputSize()];
            l.forward(v, y);
            v = y;
        }
        return v;
    }

    @Override
    public void forward(byte[] x, byte[] y, float[] logits) {
        byte[] a = run(main, x);
        byte[] b = run(shortcut, x);
        int low = activation.lowestInt8();
        if (activation.positivelyHomogeneous()) {
            float ra = outputScale > 0 ? mainScale / outputScale : 0;
            float rb = outputScale > 0 ? shortcutScale / outputScale : 0;
            for (int i = 0; i < y.length; i++) {
                y[i] = EdgeLayer.saturate(activation.apply(a[i] * ra + b[i] * rb), low);
            }
        } else {
            float inverse = outputScale > 0 ? 1 / outputScale : 0;
            for (int i = 0; i < y.length; i++) {
                y[i] = EdgeLayer.saturate(activation.apply(a[i] * mainScale + b[i] * shortcutScale) * inverse, low);
            }
        }
    }

    @Override
    public void forward(float[] x, float[] y) {
        float[] a = run(main, x);
        float[] b = run(shortcut, x);
        for (int i = 0; i < y.length; i++) {
            y[i] = activation.apply(a[i] + b[i]);
        }
    }

    @Override
    public long storedBytes() {
        return 12 + main.stream().mapToLong(EdgeLayer::storedBytes).sum()
                + shortcut.stream().mapToLong(EdgeLayer::storedBytes).sum();
    }

    @Override
    public void write(DataOutputStream s) throws IOException {
        s.writeByte(TYPE);
        activation.write(s);
        s.writeFloat(mainScale);
        s.writeFloat(shortcutScale);
        s.writeFloat(outputScale);
        s.writeInt(main.size());
        for (EdgeLayer l : main) {
            l.write(s);
        }
        s.writeInt(shortcut.size());
        for (EdgeLayer l : shortcut) {
            l.write(s);
        }
    }

    static ResidualBlock read(DataInputStream s, int format) throws IOException {
        EdgeActivation activation = EdgeActivation.read(s);
        float a = EdgeModel.readScale(s);
        float b = EdgeModel.readScale(s);
        float out = EdgeModel.readScale(s);
        List<EdgeLayer> main = branch(s, format, 1, "main branch");
        List<EdgeLayer> shortcut = branch(s, format, 0, "shortcut");
        try {
            return new ResidualBlock(main, shortcut, activation, a, b, out);
        } catch (IllegalArgumentException e) {
            throw new IOException("inconsistent residual block: " + e.getMessage());
        }
    }

    private static List<EdgeLayer> branch(DataInputStream s, int format, int min, String what) throws IOException {
        int count = s.readInt();
        if (count < min || count > MAX_BRANCH) {
            throw new IOException("residual " + what + " layer count out of range: " + count + " (" + min + " to "
                    + MAX_BRANCH + ")");
        }
        List<EdgeLayer> layers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            layers.add(EdgeLayer.read(s, format, false));
        }
        return layers;
    }
}
