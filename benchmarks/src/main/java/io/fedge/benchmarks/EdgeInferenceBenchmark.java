package io.fedge.benchmarks;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.model.Dl4jHelpers;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.Network;
import io.fedge.edge.EdgeModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Single-sample inference latency, one thread: the teacher (the global model, a layer stack or a
 * ComputationGraph) in DL4J, the int8 edge model in fedge's pure-Java engine, and the same model's
 * ONNX file in ONNX Runtime. Sample-time mode: JMH reports p50 and p99. Point it at the outputs of
 * a federation and of {@code fedge export} (any input shape and class count):
 *
 * <pre>
 * OMP_NUM_THREADS=1 benchmarks/jmh EdgeInference -p teacher=runs/edge-teacher/global-model.fgm -p edge=runs/edge-cnn
 * </pre>
 *
 * <p>Inputs ({@code -p inputs=}): {@code auto} (the default) takes 256 Fashion-MNIST test images
 * when the model reads 784 values and 256 seeded uniform [0, 1) rows of its input shape otherwise;
 * {@code fashion-mnist} or {@code uniform} force one. The engines' work does not depend on the
 * values (no early exits), so uniform rows time a model whose data this machine lacks.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EdgeInferenceBenchmark {
    @Param("runs/edge-teacher/global-model.fgm")
    String teacher;

    @Param("runs/edge-cnn")
    String edge;

    @Param("auto")
    String inputs;

    private Network teacherNet;
    private EdgeModel student;
    private OrtEnvironment env;
    private OrtSession session;
    private float[][] images;
    private INDArray[] rows;
    private int next;
    private long[] shape;

    @Setup
    public void setUp() throws Exception {
        Dl4jHelpers.enable();
        teacherNet = Dl4jModels.network(io.fedge.core.model.ModelFile.read(Path.of(teacher), null));
        Path dir = Path.of(edge);
        student = EdgeModel.read(Files.readAllBytes(dir.resolve("edge-model.fem")),
                io.fedge.edge.EdgeModelFetcher.readPublicKey(dir.resolve("edge-model.pub")));
        long teacherReads = io.fedge.export.ClassifierShape.of(teacherNet).input().size();
        if (teacherReads != student.inputSize()) {
            throw new IllegalArgumentException("the teacher " + teacher + " reads " + teacherReads + " values, the edge "
                    + "model in " + edge + " " + student.inputSize() + ": not one export");
        }
        images = inputs(student.inputSize());
        rows = new INDArray[images.length];
        for (int i = 0; i < images.length; i++) {
            rows[i] = Nd4j.create(images[i], new long[] {1, images[i].length});
        }
        int[] s = student.inputShape();
        shape = new long[s.length + 1];
        shape[0] = 1;
        for (int i = 0; i < s.length; i++) {
            shape[i + 1] = s[i];
        }
        env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(1);
        options.setInterOpNumThreads(1);
        session = env.createSession(Files.readAllBytes(dir.resolve("edge-model.onnx")), options);
    }


    private float[][] inputs(int size) throws java.io.IOException {
        boolean fashion = switch (inputs) {
            case "auto" -> size == 784;
            case "fashion-mnist" -> true;
            case "uniform" -> false;
            default -> throw new IllegalArgumentException("-p inputs must be auto, fashion-mnist or uniform, not "
                    + inputs);
        };
        if (fashion) {
            if (size != 784) {
                throw new IllegalArgumentException("the edge model reads " + size + " values, Fashion-MNIST has 784");
            }
            return FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TEST).head(256).toDataSet()
                    .getFeatures().toFloatMatrix();
        }
        java.util.Random r = new java.util.Random(1);
        float[][] rows = new float[256][size];
        for (float[] row : rows) {
            for (int i = 0; i < size; i++) {
                row[i] = r.nextFloat();
            }
        }
        return rows;
    }

    @TearDown
    public void tearDown() throws OrtException {
        session.close();
    }

    private int nextIndex() {
        next = (next + 1) & 255;
        return next;
    }

    @Benchmark
    public INDArray teacherDl4j() {
        return teacherNet.output(rows[nextIndex()])[0];
    }

    @Benchmark
    public float[] studentInt8Java() {
        return student.predict(images[nextIndex()]);
    }

    @Benchmark
    public float[][] studentOnnxRuntime() throws OrtException {
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(images[nextIndex()]), shape);
             OrtSession.Result r = session.run(Map.of("input", t))) {
            return (float[][]) r.get(0).getValue();
        }
    }
}
