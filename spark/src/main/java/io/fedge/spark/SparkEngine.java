package io.fedge.spark;

import io.fedge.simulation.SimulationConfig;
import io.fedge.simulation.engine.ClientEngine;
import io.fedge.simulation.engine.EngineSession;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code spark} engine of {@code fedge simulate}: the coordinator runs in the driver (this
 * process), the clients in Spark tasks, {@code spark.task.cpus} training threads per task and as
 * many tasks as the application has cores ({@code local[N]}: N; a standalone cluster: its
 * executors' cores), each reading its clients' examples from its host's copy of the data. A client
 * keeps its id, examples and seed, so a federation gives the model it gives in process. Options:
 * {@code master} (default {@code local[*]}) and any {@code spark.*} setting.
 */
public final class SparkEngine implements ClientEngine {
    /** The engine's name. */
    public static final String NAME = "spark";
    /** The master unless told otherwise: a local Spark with a task per core. */
    public static final String DEFAULT_MASTER = "local[*]";
    private final String master;
    private final Map<String, String> settings;

    /**
     * An engine on {@code master} with these Spark settings.
     *
     * @throws IllegalArgumentException if a setting is not a {@code spark.*} key
     */
    public SparkEngine(String master, Map<String, String> settings) {
        this.master = Objects.requireNonNull(master, "master");
        this.settings = Map.copyOf(settings);
        if (!master.startsWith("local") && !master.startsWith("spark://")) {
            throw new IllegalArgumentException("the spark engine runs on local, local[N] or a standalone cluster "
                    + "(spark://HOST:PORT): " + master);
        }
        for (String key : this.settings.keySet()) {
            if (!key.startsWith("spark.")) {
                throw new IllegalArgumentException("spark engine options are master=URL or spark.* settings: " + key);
            }
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String refuses(SimulationConfig config) {
        if (config.attack() != null && config.attack().isTransportLevel()) {
            return "--attack " + config.attack() + " is a protocol client of its own, not a FederatedClient a Spark "
                    + "task hosts; simulate it in process (without --engine)";
        }
        return null;
    }

    /**
     * JavaCPP's size checks off, ND4J's array deallocator on: executors host clients for hours. And
     * the clients' log lines to stderr, uncached, whichever {@code simplelogger.properties} an
     * executor's class path finds first: jhdf's jar (the CLI's Keras reader) ships one that sends
     * everything to a cached stdout, and an executor's jars come in no fixed order (system
     * properties win over the file).
     */
    static final String EXECUTOR_JAVA_OPTIONS =
            "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -Dorg.bytedeco.javacpp.maxBytes=0"
                    + " -Dorg.slf4j.simpleLogger.logFile=System.err -Dorg.slf4j.simpleLogger.cacheOutputStream=false";

    @Override
    public EngineSession open(SimulationConfig config) throws IOException {
        quietSpark();
        SparkConf conf = new SparkConf(false)
                .setMaster(master)
                .setAppName("fedge simulate")
                .set("spark.ui.enabled", "false")
                // as ./fedge runs fedge: one native thread per ND4J op, ND4J's deallocator on,
                // JavaCPP's physical-memory checks off (docs/benchmarks.md, "Native memory")
                .set("spark.executorEnv.OMP_NUM_THREADS", "1")
                .set("spark.executor.extraJavaOptions", EXECUTOR_JAVA_OPTIONS);
        settings.forEach(conf::set);
        JavaSparkContext context;
        try {
            context = new JavaSparkContext(conf);
        } catch (RuntimeException e) {
            throw new IOException("cannot start Spark on " + master + ": " + SparkClients.firstLine(e), e);
        }
        try {
            InetAddress host = InetAddress.getByName(context.getConf().get("spark.driver.host"));
            return new SparkClients(context, host);
        } catch (IOException | RuntimeException e) {
            context.stop();
            throw e;
        }
    }

    /** Spark's INFO lines would drown fedge's own; a user's -D setting wins. */
    private static void quietSpark() {
        // a failed task's stack trace: the simulation says its reason in one line instead
        String[][] levels = {{"org.apache.spark", "warn"}, {"org.sparkproject", "warn"}, {"org.apache.hadoop", "error"},
                {"org.apache.spark.executor.Executor", "off"}, {"org.apache.spark.scheduler.TaskSetManager", "error"}};
        for (String[] level : levels) {
            String key = "org.slf4j.simpleLogger.log." + level[0];
            if (System.getProperty(key) == null) {
                System.setProperty(key, level[1]);
            }
        }
    }

    /** Registered in {@code META-INF/services}: {@code --engine spark}. */
    public static final class Provider implements ClientEngine.Provider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public ClientEngine create(Map<String, String> options) {
            Map<String, String> settings = new java.util.HashMap<>(options);
            String master = settings.remove("master");
            return new SparkEngine(master == null ? DEFAULT_MASTER : master, settings);
        }
    }
}
