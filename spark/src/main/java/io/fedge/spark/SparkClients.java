package io.fedge.spark;

import io.fedge.simulation.engine.ClientOutcome;
import io.fedge.simulation.engine.EngineSession;
import io.fedge.simulation.engine.HostedFederation;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One simulation's Spark job: a task per share of the clients ({@link HostTask}), collected as
 * their {@link ClientOutcome}s once the coordinator has ended the federation.
 */
final class SparkClients implements EngineSession {
    private static final Logger LOG = LoggerFactory.getLogger(SparkClients.class);
    /** How long the tasks may take to end after the coordinator's goodbye before they are cancelled. */
    private static final long FINISH_SECONDS = 120;
    private final JavaSparkContext context;
    private final InetAddress host;
    private volatile JavaFutureAction<List<ClientOutcome>> job;
    private volatile boolean finishing;
    /** Set by whichever reports the job's failure first, the watcher or {@link #finish}: it is said once. */
    private final java.util.concurrent.atomic.AtomicBoolean failureReported = new java.util.concurrent.atomic.AtomicBoolean();
    private boolean closed;

    SparkClients(JavaSparkContext context, InetAddress host) {
        this.context = context;
        this.host = host;
    }

    @Override
    public InetAddress coordinatorHost() {
        return host;
    }

    @Override
    public void start(HostedFederation federation, Consumer<String> failed) {
        int hosts = Math.min(federation.clients().size(), context.defaultParallelism());
        int cpus = context.getConf().getInt("spark.task.cpus", 1);
        List<Integer> slots = new ArrayList<>();
        for (int i = 0; i < hosts; i++) {
            slots.add(i);
        }
        LOG.info("spark: {} clients in {} tasks on {} ({} training thread(s) each), coordinator at {}:{}",
                federation.clients().size(), hosts, context.master(), cpus, federation.coordinatorHost(),
                federation.coordinatorPort());
        context.setJobDescription("fedge clients");
        job = context.parallelize(slots, hosts)
                .mapPartitionsWithIndex(new HostTask(federation, hosts, cpus), false)
                .collectAsync();
        Thread watcher = new Thread(() -> {
            try {
                job.get();
            } catch (ExecutionException e) {
                if (!finishing && failureReported.compareAndSet(false, true)) {
                    failed.accept("the Spark job hosting the clients failed: " + firstLine(e.getCause()));
                }
            } catch (InterruptedException | java.util.concurrent.CancellationException e) {
                // closed
            }
        }, "fedge-spark-job");
        watcher.setDaemon(true);
        watcher.start();
    }

    @Override
    public List<ClientOutcome> finish() {
        finishing = true;
        JavaFutureAction<List<ClientOutcome>> j = job;
        if (j == null) {
            return List.of();
        }
        try {
            return j.get(FINISH_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            LOG.warn("spark: the clients' tasks did not end {} s after the federation; cancelling them", FINISH_SECONDS);
            j.cancel(true);
        } catch (ExecutionException e) {
            if (failureReported.compareAndSet(false, true)) {
                LOG.warn("spark: the clients' job failed after the federation: {}", firstLine(e.getCause()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return List.of();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        finishing = true;
        context.stop();
    }

    /** The first line of {@code e}'s message (Spark's carry the failed task's stack), or its class. */
    static String firstLine(Throwable e) {
        String m = e == null ? null : e.getMessage();
        if (m == null || m.isBlank()) {
            return e == null ? "unknown" : e.getClass().getSimpleName();
        }
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
