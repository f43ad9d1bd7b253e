package io.fedge.core.model;

import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Objects;

/**
 * fedge's flat rows, channel-first values {@code [c][h][w]} per example, to images in either of
 * DL4J's layouts: {@code [n, c, h, w]} (what {@code FeedForwardToCnnPreProcessor} gives) or
 * {@code [n, h, w, c]} for layers that take NHWC, as Keras's {@code channels_last} convolutions
 * come out of DL4J's import. Gradients go back the same way, to rows. An image array given as it
 * is (rank 4, already in the layer's layout) passes through.
 *
 * <p>Part of a model's configuration (DL4J writes it into the JSON by class name), so the client
 * library carries it. Immutable.
 */
public final class RowsToImagePreProcessor implements InputPreProcessor {
    private static final long serialVersionUID = 1L;

    private final long height;
    private final long width;
    private final long channels;
    private final CNN2DFormat format;

    /** Images of {@code height x width x channels} in {@code format}; all sizes positive. */
    public RowsToImagePreProcessor(@JsonProperty("height") long height, @JsonProperty("width") long width,
            @JsonProperty("channels") long channels, @JsonProperty("format") CNN2DFormat format) {
        if (height <= 0 || width <= 0 || channels <= 0) {
            throw new IllegalArgumentException("image sizes must be positive, got " + height + "x" + width + "x" + channels);
        }
        this.height = height;
        this.width = width;
        this.channels = channels;
        this.format = format == null ? CNN2DFormat.NCHW : format;
    }

    @JsonProperty("height")
    public long height() {
        return height;
    }

    @JsonProperty("width")
    public long width() {
        return width;
    }

    @JsonProperty("channels")
    public long channels() {
        return channels;
    }

    @JsonProperty("format")
    public CNN2DFormat format() {
        return format;
    }

    /** The values one example's row holds: {@code c * h * w}. */
    public long rowWidth() {
        return channels * height * width;
    }

    @Override
    public INDArray preProcess(INDArray input, int miniBatchSize, LayerWorkspaceMgr mgr) {
        if (input.rank() == 4) {
            return mgr.leverageTo(ArrayType.ACTIVATIONS, input);
        }
        if (input.rank() != 2 || input.columns() != rowWidth()) {
            throw new IllegalStateException("rows of " + rowWidth() + " values (" + channels + "x" + height + "x" + width
                    + ") expected, got shape " + java.util.Arrays.toString(input.shape()));
        }
        INDArray rows = input.ordering() == 'c' && !input.isView() ? input : input.dup('c');
        INDArray chw = rows.reshape('c', input.rows(), channels, height, width);
        if (format == CNN2DFormat.NCHW) {
            return mgr.leverageTo(ArrayType.ACTIVATIONS, chw);
        }
        return mgr.dup(ArrayType.ACTIVATIONS, chw.permute(0, 2, 3, 1), 'c');
    }

    @Override
    public INDArray backprop(INDArray output, int miniBatchSize, LayerWorkspaceMgr mgr) {
        INDArray chw = format == CNN2DFormat.NCHW ? output : output.permute(0, 3, 1, 2);
        INDArray dense = mgr.dup(ArrayType.ACTIVATION_GRAD, chw, 'c');
        return dense.reshape('c', output.size(0), rowWidth());
    }

    @Override
    public InputPreProcessor clone() {
        return new RowsToImagePreProcessor(height, width, channels, format);
    }

    @Override
    public InputType getOutputType(InputType inputType) {
        return InputType.convolutional(height, width, channels, format);
    }

    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArray(INDArray maskArray, MaskState currentMaskState,
            int minibatchSize) {
        return new Pair<>(maskArray, currentMaskState); // one mask value per example, as for rows
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RowsToImagePreProcessor p && p.height == height && p.width == width
                && p.channels == channels && p.format == format;
    }

    @Override
    public int hashCode() {
        return Objects.hash(height, width, channels, format);
    }

    @Override
    public String toString() {
        return "RowsToImagePreProcessor(" + channels + "x" + height + "x" + width + " -> " + format + ")";
    }
}
