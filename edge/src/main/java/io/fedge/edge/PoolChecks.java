package io.fedge.edge;

/** The argument checks the pooling layers share. */
final class PoolChecks {
    private PoolChecks() {
    }

    /** {@code channels}, if it is in range and the input and output tensors are not too large. */
    static int channels(int channels, Window2d window, String what) {
        if (channels <= 0 || channels > EdgeLayer.MAX_CHANNELS) {
            throw new IllegalArgumentException(what + " channels must be 1 to " + EdgeLayer.MAX_CHANNELS + ": "
                    + channels);
        }
        if ((long) channels * window.inHeight() * window.inWidth() > EdgeLayer.MAX_TENSOR) {
            throw new IllegalArgumentException(what + " over " + channels + "x" + window.inHeight() + "x"
                    + window.inWidth() + ": more than " + EdgeLayer.MAX_TENSOR + " values");
        }
        return channels;
    }
}
