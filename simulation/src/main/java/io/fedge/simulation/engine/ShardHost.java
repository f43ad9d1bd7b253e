package io.fedge.simulation.engine;

import io.fedge.client.ClientEnding;
import io.fedge.client.FederatedClient;
import io.fedge.client.SharedModels;
import io.fedge.comm.Transports;
import io.fedge.comm.secagg.SecAggIdentity;
import io.fedge.comm.tls.TlsContexts;
import io.fedge.data.DataSource;
import io.fedge.data.Examples;
import io.fedge.simulation.attack.Attack;
import io.fedge.simulation.attack.AttackReport;
import io.netty.channel.EventLoopGroup;
import org.nd4j.linalg.dataset.DataSet;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs some of a {@link HostedFederation}'s clients in this JVM until each ends: what an engine's
 * host (a Spark task) does. The clients share one I/O thread and {@code threads} training threads,
 * as an in-process simulation's do, and read their examples from this machine's copy of the data,
 * read once per JVM and kept while the same data is asked for (tasks of one executor share it).
 * The federation's attackers among them are real clients set up by the attack
 * ({@link Attack#configure}), as in process; what they hear is returned with their outcomes.
 */
public final class ShardHost {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ShardHost.class);
    private static final Object DATA_LOCK = new Object();
    private static DataSource cachedSource;
    private static Examples cachedTrain;

    private ShardHost() {
    }

    /**
     * Starts {@code shards}, waits until every one has ended (the coordinator said the federation is
     * over, refused it, or stayed unreachable for the federation's give-up bound) and says how each ended.
     *
     * @param host names this host in the outcomes
     * @throws IOException if this machine's copy of the data cannot be read
     */
    public static List<ClientOutcome> run(HostedFederation federation, List<ClientShard> shards, int threads,
                                          String host) throws IOException, InterruptedException {
        if (shards.isEmpty()) {
            return List.of();
        }
        Examples train = training(federation.data());
        for (ClientShard shard : shards) { // before any client starts
            for (int i : shard.indices()) {
                if (i < 0 || i >= train.size()) {
                    throw new IOException("client " + shard.id() + " names example " + i + " but this host's "
                            + "copy of the data holds " + train.size() + ": the hosts' data differ");
                }
            }
        }
        LOG.info("hosting {} clients ({} .. {}) with {} training thread(s) on {}, coordinator {}:{}", shards.size(),
                shards.get(0).id(), shards.get(shards.size() - 1).id(), threads, host, federation.coordinatorHost(),
                federation.coordinatorPort());
        InetSocketAddress coordinator = new InetSocketAddress(federation.coordinatorHost(),
                federation.coordinatorPort());
        EventLoopGroup io = Transports.eventLoopGroup(1, "fedge-host-io");
        AtomicInteger ids = new AtomicInteger();
        ExecutorService trainers = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "fedge-host-train-" + ids.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        SharedModels models = new SharedModels();
        HostTrust trust = federation.trust();
        java.security.cert.X509Certificate ca = trust == null ? null : trust.ca();
        java.security.PublicKey modelKey = trust == null ? null : trust.modelKey();
        Attack attack = federation.attack();
        List<String> attackerIds = shards.stream().filter(ClientShard::attacker).map(ClientShard::id).toList();
        // what this host's attackers hear; the coordinator's side of their tally is the driver's
        AttackReport heard = attack == null ? null : new AttackReport(attack, attackerIds);
        List<ClientOutcome> outcomes = new ArrayList<>();
        List<FederatedClient> clients = new ArrayList<>();
        try {
            for (ClientShard shard : shards) {
                if (shard.attacker() && attack.kind() == Attack.Kind.ABSENT) {
                    outcomes.add(new ClientOutcome(shard.id(), ClientEnding.Kind.CLOSED,
                            "absent: the attack's baseline, never connected", host, heard.tally(shard.id())));
                    continue;
                }
                DataSet local = train.toDataSet(shard.indices());
                FederatedClient.Builder b = FederatedClient.builder()
                        .coordinator(coordinator)
                        .clientId(shard.id())
                        .data(shard.attacker() ? attack.trainingData(local) : local)
                        .eventLoopGroup(io)
                        .trainingExecutor(trainers)
                        .sharedModels(models)
                        .giveUpAfter(federation.giveUpAfter())
                        .seed(shard.seed());
                if (trust != null) {
                    io.fedge.comm.tls.Credentials own = shard.keys().credentials();
                    b.tls(TlsContexts.client(own, ca, TlsContexts.provider())).trustedModelKey(modelKey);
                    if (federation.secureAggregation()) {
                        b.secureAggregationIdentity(new SecAggIdentity(own, ca));
                    }
                }
                if (shard.attacker()) {
                    attack.configure(b, local.numExamples(), heard);
                }
                FederatedClient client = b.build();
                clients.add(client);
                client.start();
            }
            for (FederatedClient c : clients) {
                c.awaitTermination(Long.MAX_VALUE, TimeUnit.DAYS);
                ClientEnding e = c.ending().orElse(new ClientEnding(ClientEnding.Kind.CLOSED, "closed"));
                outcomes.add(new ClientOutcome(c.clientId(), e.kind(), e.reason(), host,
                        attackerIds.contains(c.clientId()) ? heard.tally(c.clientId()) : null));
            }
            return outcomes;
        } finally {
            for (FederatedClient c : clients) {
                c.close();
            }
            trainers.shutdownNow();
            io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /** The training set of {@code source}, read once per JVM while the same source is asked for. */
    private static Examples training(DataSource source) throws IOException {
        synchronized (DATA_LOCK) {
            if (!source.equals(cachedSource)) {
                cachedTrain = null; // let the old set go before reading the new one
                cachedTrain = source.load(false).train();
                cachedSource = source;
            }
            return cachedTrain;
        }
    }
}
