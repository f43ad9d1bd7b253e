package io.fedge.aggregation;

/**
 * A verified model update that can be replayed as decoded chunks, so an aggregation never needs
 * the whole update as one array. Each call to {@link #forEach} decodes afresh into a scratch
 * buffer the visitor must not keep.
 */
@FunctionalInterface
public interface UpdateChunks {
    /** Receives one decoded chunk: values {@code [0, length)} belong at parameter {@code offset}. */
    @FunctionalInterface
    interface Visitor {
        void visit(int offset, float[] values, int length);
    }

    /** Calls {@code visitor} once per chunk, in order. */
    void forEach(Visitor visitor);
}
