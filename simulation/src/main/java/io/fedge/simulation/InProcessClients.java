package io.fedge.simulation;

import io.fedge.client.FederatedClient;
import io.fedge.client.SharedModels;
import io.fedge.comm.Transports;
import io.fedge.data.Examples;
import io.fedge.simulation.attack.Attack;
import io.fedge.simulation.attack.AttackReport;
import io.fedge.simulation.attack.WireAttacker;
import io.netty.channel.EventLoopGroup;
import org.nd4j.linalg.dataset.DataSet;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A simulation's clients when they run in its own process (no engine): real
 * {@link FederatedClient}s connecting to the coordinator over TCP, sharing one I/O thread, a pool
 * of {@code parallelism} training threads and one copy of each model ({@link SharedModels}), and
 * the {@link WireAttacker}s of a transport-level attack in their place. Created only for an
 * in-process simulation: an engine's hosts build their own. {@link #close} stops them all.
 */
final class InProcessClients implements AutoCloseable {
    private final EventLoopGroup io = Transports.eventLoopGroup(1, "fedge-sim-io");
    private final ExecutorService trainers;
    private final SharedModels models = new SharedModels();
    private final List<FederatedClient> clients = new ArrayList<>();
    private final List<WireAttacker> wireAttackers = new ArrayList<>();

    private InProcessClients(int parallelism) {
        AtomicInteger threadIds = new AtomicInteger();
        this.trainers = Executors.newFixedThreadPool(parallelism, r -> {
            Thread t = new Thread(r, "fedge-sim-train-" + threadIds.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts client {@code k} of {@code parts} for every part, each with its own examples of
     * {@code train} and its seed; {@code attackerIds} among them act as {@code attack} says. On
     * failure, whatever started is closed before the exception leaves.
     *
     * @param pki the clients' certificates and the model key to trust, or null for plain TCP
     * @param stateDir the simulation's state folder, or null: each client keeps its state under {@code clients/ID}
     * @throws IOException if a client's certificate or key cannot be read
     */
    static InProcessClients start(SimulationConfig config, InetSocketAddress coordinator, Examples train,
                                  int[][] parts, String idFormat, int parameterCount, Attack attack,
                                  List<String> attackerIds, AttackReport report, ThrowawayPki pki, Path stateDir)
            throws IOException {
        InProcessClients all = new InProcessClients(config.parallelism());
        try {
            PublicKey pinned = pki == null ? null : pki.modelVerifyingKey();
            for (int k = 0; k < parts.length; k++) {
                String id = String.format(idFormat, k);
                Attack own = attackerIds.contains(id) ? attack : null;
                if (own != null && own.kind() == Attack.Kind.ABSENT) {
                    continue;
                }
                if (own != null && own.isTransportLevel()) {
                    all.wireAttackers.add(new WireAttacker(own.kind(), id, coordinator,
                            pki == null ? null : pki.client(id), parts[k].length, parameterCount, all.io,
                            report).start());
                    continue;
                }
                DataSet local = train.toDataSet(parts[k]);
                FederatedClient.Builder b = FederatedClient.builder()
                        .coordinator(coordinator)
                        .clientId(id)
                        .data(own == null ? local : own.trainingData(local))
                        .eventLoopGroup(all.io)
                        .trainingExecutor(all.trainers)
                        .sharedModels(all.models)
                        .seed(config.seed() * 1_000_003L + k);
                if (stateDir != null) {
                    b.stateDir(stateDir.resolve("clients").resolve(id)); // error feedback survives a restart
                }
                if (pki != null) {
                    b.tls(pki.client(id)).trustedModelKey(pinned).secureAggregationIdentity(pki.identity(id));
                }
                if (own != null) {
                    own.configure(b, local.numExamples(), report);
                }
                FederatedClient client = b.build();
                all.clients.add(client);
                client.start();
            }
            return all;
        } catch (IOException | RuntimeException e) {
            all.close();
            throw e;
        }
    }

    /** Closes every client and attacker, then the training threads and the I/O thread. */
    @Override
    public void close() {
        for (WireAttacker w : wireAttackers) {
            w.close();
        }
        for (FederatedClient c : clients) {
            c.close();
        }
        trainers.shutdownNow();
        io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
