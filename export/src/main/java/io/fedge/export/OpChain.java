package io.fedge.export;

import io.fedge.core.model.InputShape;

import java.util.ArrayList;
import java.util.List;

/** A chain of float ops being lowered, and the shape of what its last op produces. Not thread-safe. */
final class OpChain {
    private final List<FloatOp> ops = new ArrayList<>();
    private InputShape shape;

    OpChain(InputShape shape) {
        this.shape = shape;
    }

    /** The shape the chain produces so far (its input while it is empty). */
    InputShape shape() {
        return shape;
    }

    /** The same values seen as another shape of the same size (a reshape, which moves nothing). */
    void reshape(InputShape to) {
        shape = to;
    }

    void add(FloatOp op, InputShape after) {
        ops.add(op);
        shape = after;
    }

    /** The last op, or null while the chain is empty. */
    FloatOp last() {
        return ops.isEmpty() ? null : ops.get(ops.size() - 1);
    }

    /** Replaces the last op (fusing what follows it into it); the shape does not change. */
    void replaceLast(FloatOp op) {
        ops.set(ops.size() - 1, op);
    }

    List<FloatOp> ops() {
        return List.copyOf(ops);
    }
}
