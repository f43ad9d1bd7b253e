package io.fedge.coordinator;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * The coordinator's one aggregation thread (updates are decoded and folded in the order they
 * complete, rounds close after every fold queued before), telling how long each task ran, for the
 * aggregation-time metric.
 */
final class AggregationExecutor extends ThreadPoolExecutor {
    private final ThreadLocal<long[]> started = ThreadLocal.withInitial(() -> new long[1]);
    private volatile LongConsumer taskNanos = n -> { };

    AggregationExecutor() {
        super(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "fedge-aggregation");
            t.setDaemon(true);
            return t;
        });
    }

    /** Where each task's running time goes from now on. */
    void timing(LongConsumer sink) {
        this.taskNanos = sink;
    }

    @Override
    protected void beforeExecute(Thread t, Runnable r) {
        started.get()[0] = System.nanoTime();
    }

    @Override
    protected void afterExecute(Runnable r, Throwable t) {
        taskNanos.accept(System.nanoTime() - started.get()[0]);
    }
}
