package io.fedge.export;

import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.InputShape;
import io.fedge.core.model.Network;
import io.fedge.edge.EdgeModel;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Global model to edge model: distil (or take the teacher as it is), prune, quantize, verify,
 * sign, write. The teacher is a network of either kind; the student reads the teacher's input
 * shape and predicts its classes. The accuracy of the teacher, of the float student and of the
 * int8 edge model are measured on the evaluation set and written into the edge model's metadata,
 * so a device can see what it runs. Stateless; each call builds its own networks.
 */
public final class EdgeExport {
    /** Examples a network infers at once while it is evaluated. */
    private static final int EVAL_BATCH = 1024;

    /** What an export produced. */
    public record Report(String student, long teacherParameters, long teacherBytes, double teacherAccuracy,
                         long studentParameters, double studentAccuracy, long edgeParameterBytes, long edgeFileBytes,
                         double edgeAccuracy, double agreement, double distillSeconds, Path file,
                         long unprunedParameters, double unprunedAccuracy, ClassifierShape shape) {
        /** How many times smaller the edge model's parameters are than the teacher's fp32 ones. */
        public double compression() {
            return (double) teacherBytes / edgeParameterBytes;
        }
    }

    private EdgeExport() {
    }

    /** As the full form, without pruning; {@code student} as {@link Student#parse} reads it; Fashion-MNIST-era data. */
    public static Report export(GlobalModel teacherModel, String student, DataSet transfer, DataSet test,
                                Distiller distiller, EdgeQuantizer quantizer, PrivateKey signingKey,
                                PublicKey verifyingKey, Path out) throws IOException {
        return export(teacherModel, student, transfer, test, distiller, null, quantizer, signingKey, verifyingKey, out);
    }

    /**
     * As the full form; {@code student} as {@link Student#parse} reads it. For callers written when
     * fedge knew Fashion-MNIST alone: the data are taken for what the teacher reads, except that a
     * teacher reading vectors of 784 values is fed Fashion-MNIST's 1x28x28 images (as fedge's
     * {@code mlp} is), so a convolutional student can still be distilled from it. Give the data's
     * shape with the full form instead.
     */
    public static Report export(GlobalModel teacherModel, String student, DataSet transfer, DataSet test,
                                Distiller distiller, Pruner pruner, EdgeQuantizer quantizer,
                                PrivateKey signingKey, PublicKey verifyingKey, Path out) throws IOException {
        InputShape data = transfer.getFeatures().size(1) == InputShape.FASHION_MNIST.size()
                ? InputShape.FASHION_MNIST : null;
        return export(teacherModel, Student.parse(student), data, transfer, test, distiller, pruner, quantizer,
                signingKey, verifyingKey, out);
    }

    /**
     * Exports {@code teacherModel} as {@code student}.
     *
     * @param data the shape of one example as the data sets hold it (null: as the teacher reads it);
     *     images of as many values as a teacher's vector let a convolutional student learn from it
     * @param transfer the data the student learns the teacher on (never the evaluation set); also
     *     what calibrates the int8 scales
     * @param test the evaluation set
     * @param pruner prunes the distilled student before quantization; null: not pruned
     * @param verifyingKey the signing key's public half, to read the written file back; null to skip that check
     * @param out where {@code edge-model.fem} and {@code edge-model.onnx} are written
     * @throws IllegalArgumentException if the data do not fit the teacher, the student does not read
     *     and predict what the teacher does, the teacher or student cannot be exported to the edge
     *     format (the message names the layer), or a pruner is given with {@link Student.None}
     */
    public static Report export(GlobalModel teacherModel, Student student, InputShape data, DataSet transfer,
                                DataSet test, Distiller distiller, Pruner pruner, EdgeQuantizer quantizer,
                                PrivateKey signingKey, PublicKey verifyingKey, Path out) throws IOException {
        Network teacher = Dl4jModels.network(teacherModel);
        ClassifierShape shape = ClassifierShape.of(teacher).withData(data);
        fits("transfer set", transfer, shape);
        fits("evaluation set", test, shape);
        long t0 = System.nanoTime();
        Network studentNet;
        long unprunedParameters;
        double unprunedAccuracy;
        if (student instanceof Student.None) {
            if (pruner != null) {
                throw new IllegalArgumentException("pruning fine-tunes a distilled student; with student 'none' the "
                        + "teacher is exported as it is");
            }
            NetworkLowering.lower(teacher);
            studentNet = teacher;
            unprunedParameters = teacher.numParams();
            unprunedAccuracy = Double.NaN;
        } else {
            MultiLayerConfiguration inference = student instanceof Student.Preset p
                    ? p.configuration(shape, distiller.seed(), distiller.learningRate())
                    : ((Student.Configuration) student).configuration(shape);
            MultiLayerNetwork probe = new MultiLayerNetwork(inference.clone());
            probe.init();
            NetworkLowering.lower(Network.of(probe)); // refuse an unexportable student before training it
            INDArray targets = distiller.targets(teacher, transfer);
            MultiLayerNetwork distilled = distiller.distil(inference, transfer.getFeatures(), targets);
            unprunedParameters = distilled.numParams();
            unprunedAccuracy = accuracy(Network.of(distilled), test);
            if (pruner != null) {
                distilled = pruner.prune(distilled, student, shape, transfer.getFeatures(), targets);
            }
            studentNet = Network.of(distilled);
        }
        double distillSeconds = (System.nanoTime() - t0) / 1e9;
        double teacherAccuracy = accuracy(teacher, test);
        double studentAccuracy = studentNet == teacher ? teacherAccuracy : accuracy(studentNet, test);
        int calibration = (int) Math.min(2_000, transfer.numExamples());
        INDArray calib = transfer.getFeatures().get(NDArrayIndex.interval(0, calibration), NDArrayIndex.all());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("student", student.name());
        meta.put("teacher_version", Long.toString(teacherModel.version()));
        meta.put("input_shape", shape.input().toString());
        meta.put("classes", Integer.toString(shape.classes()));
        meta.put("mode", quantizer.mode().name());
        if (!(student instanceof Student.None)) {
            meta.put("temperature", Double.toString(distiller.temperature()));
            meta.put("alpha", Double.toString(distiller.alpha()));
        }
        meta.put("calibration_percentile", Double.toString(quantizer.percentile()));
        if (pruner != null) {
            meta.put("pruning", pruner.describe());
        }
        EdgeModel draft = quantizer.quantize(studentNet, calib, meta);
        float[][] rows = test.getFeatures().toFloatMatrix();
        int[] truth = test.getLabels().argMax(1).toIntVector();
        int[] studentPred = predictions(studentNet, test.getFeatures());
        int correct = 0;
        int agree = 0;
        for (int i = 0; i < rows.length; i++) {
            int p = draft.classify(rows[i]);
            correct += p == truth[i] ? 1 : 0;
            agree += p == studentPred[i] ? 1 : 0;
        }
        double edgeAccuracy = (double) correct / rows.length;
        meta.put("accuracy_teacher", String.format(Locale.ROOT, "%.4f", teacherAccuracy));
        meta.put("accuracy_student_fp32", String.format(Locale.ROOT, "%.4f", studentAccuracy));
        meta.put("accuracy_int8", String.format(Locale.ROOT, "%.4f", edgeAccuracy));
        meta.put("evaluated_on", Integer.toString(rows.length));
        // the data's shape, even where the student reads it flat (an MLP): devices feed what the data set holds
        EdgeModel model = new EdgeModel(meta, draft.mode(), EdgeQuantizer.shape(shape.input()), draft.inputScale(),
                draft.layers());
        byte[] file = model.write(signingKey);
        if (verifyingKey != null) {
            EdgeModel.read(file, verifyingKey); // the file a device will get verifies and parses
        }
        Files.createDirectories(out);
        Path target = out.resolve("edge-model.fem");
        Path tmp = out.resolve("edge-model.fem.tmp");
        Files.write(tmp, file);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.write(out.resolve("edge-model.onnx"), OnnxExporter.export(model));
        return new Report(student.name(), teacherModel.parameterCount(), teacherModel.parameterBytes(),
                teacherAccuracy, studentNet.numParams(), studentAccuracy, model.parameterBytes(), file.length,
                edgeAccuracy, (double) agree / rows.length, distillSeconds, target, unprunedParameters,
                Double.isNaN(unprunedAccuracy) ? studentAccuracy : unprunedAccuracy, shape);
    }

    /** Refuses a data set whose rows or labels do not fit the teacher, naming both. */
    private static void fits(String what, DataSet data, ClassifierShape shape) {
        long features = data.getFeatures().size(1);
        if (features != shape.input().size()) {
            throw new IllegalArgumentException("the " + what + " has " + features + " values per example, the teacher "
                    + "reads " + shape.input() + (shape.input() instanceof InputShape.Image
                    ? " = " + shape.input().size() : ""));
        }
        long labels = data.getLabels().size(1);
        if (labels != shape.classes()) {
            throw new IllegalArgumentException("the " + what + " has " + labels + " classes, the teacher predicts "
                    + shape.classes());
        }
    }

    static double accuracy(Network net, DataSet test) {
        int[] pred = predictions(net, test.getFeatures());
        int[] truth = test.getLabels().argMax(1).toIntVector();
        int correct = 0;
        for (int i = 0; i < pred.length; i++) {
            correct += pred[i] == truth[i] ? 1 : 0;
        }
        return (double) correct / pred.length;
    }

    private static int[] predictions(Network net, INDArray features) {
        long n = features.size(0);
        int[] out = new int[(int) n];
        for (long from = 0; from < n; from += EVAL_BATCH) {
            long to = Math.min(n, from + EVAL_BATCH);
            int[] p = net.output(features.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()))[0].argMax(1)
                    .toIntVector();
            System.arraycopy(p, 0, out, (int) from, p.length);
        }
        return out;
    }
}
