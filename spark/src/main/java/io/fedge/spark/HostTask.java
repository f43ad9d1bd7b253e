package io.fedge.spark;

import io.fedge.simulation.engine.ClientOutcome;
import io.fedge.simulation.engine.HostedFederation;
import io.fedge.simulation.engine.ShardHost;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.function.Function2;

import java.io.Serial;
import java.net.InetAddress;
import java.util.Iterator;
import java.util.List;

/**
 * A Spark task: hosts its share of the clients ({@link HostedFederation#share}) on its executor
 * until each has ended, and returns how each ended. Spark runs a failed task again (on a cluster:
 * {@code spark.task.maxFailures} times); its clients then reconnect under the same ids.
 */
final class HostTask implements Function2<Integer, Iterator<Integer>, Iterator<ClientOutcome>> {
    @Serial
    private static final long serialVersionUID = 1L;
    private final HostedFederation federation;
    private final int hosts;
    private final int threads;

    HostTask(HostedFederation federation, int hosts, int threads) {
        this.federation = federation;
        this.hosts = hosts;
        this.threads = threads;
    }

    @Override
    public Iterator<ClientOutcome> call(Integer task, Iterator<Integer> ignored) throws Exception {
        List<ClientOutcome> outcomes = ShardHost.run(federation, federation.share(task, hosts), threads,
                "executor " + SparkEnv.get().executorId() + " on " + InetAddress.getLocalHost().getHostName());
        return outcomes.iterator();
    }
}
