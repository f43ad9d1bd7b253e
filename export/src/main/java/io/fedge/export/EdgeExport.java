package io.fedge.export;

import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.edge.EdgeModel;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Global model to edge model: distil, quantize, verify, sign, write. The accuracy of the teacher,
 * of the float student and of the int8 edge model are measured on the evaluation set and written
 * into the edge model's metadata, so a device can see what it runs.
 */
public final class EdgeExport {
    /** What an export produced. */
    public record Report(String student, long teacherParameters, long teacherBytes, double teacherAccuracy,
                         long studentParameters, double studentAccuracy, long edgeParameterBytes, long edgeFileBytes,
                         double edgeAccuracy, double agreement, double distillSeconds, Path file,
                         long unprunedParameters, double unprunedAccuracy) {
        /** How many times smaller the edge model's parameters are than the teacher's fp32 ones. */
        public double compression() {
            return (double) teacherBytes / edgeParameterBytes;
        }
    }

    private EdgeExport() {
    }

    /**
     * @param transfer the data the student learns the teacher on (never the evaluation set)
     * @param test the evaluation set
     * @param verifyingKey the signing key's public half, to read the written file back; null to skip that check
     * @param out where {@code edge-model.fem} is written
     */
    public static Report export(GlobalModel teacherModel, String student, DataSet transfer, DataSet test,
                                Distiller distiller, EdgeQuantizer quantizer, PrivateKey signingKey,
                                PublicKey verifyingKey, Path out) throws IOException {
        return export(teacherModel, student, transfer, test, distiller, null, quantizer, signingKey, verifyingKey, out);
    }

    /** As above, with the distilled student pruned by {@code pruner} (null: not pruned) before quantization. */
    public static Report export(GlobalModel teacherModel, String student, DataSet transfer, DataSet test,
                                Distiller distiller, Pruner pruner, EdgeQuantizer quantizer,
                                PrivateKey signingKey, PublicKey verifyingKey, Path out) throws IOException {
        MultiLayerNetwork teacher = Dl4jModels.instantiate(teacherModel);
        long t0 = System.nanoTime();
        MultiLayerNetwork studentNet = distiller.distil(teacher, student, transfer);
        long unprunedParameters = studentNet.numParams();
        double unprunedAccuracy = accuracy(studentNet, test);
        if (pruner != null) {
            studentNet = pruner.prune(studentNet, student, teacher, transfer);
        }
        double distillSeconds = (System.nanoTime() - t0) / 1e9;
        double teacherAccuracy = accuracy(teacher, test);
        double studentAccuracy = accuracy(studentNet, test);
        int calibration = (int) Math.min(2_000, transfer.numExamples());
        INDArray calib = transfer.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, calibration),
                org.nd4j.linalg.indexing.NDArrayIndex.all());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("student", student);
        meta.put("teacher_version", Long.toString(teacherModel.version()));
        meta.put("mode", quantizer.mode().name());
        meta.put("temperature", Double.toString(distiller.temperature()));
        meta.put("alpha", Double.toString(distiller.alpha()));
        meta.put("calibration_percentile", Double.toString(quantizer.percentile()));
        if (pruner != null) {
            meta.put("pruning", pruner.describe());
        }
        int[] shape = student.startsWith("cnn") ? new int[] {1, 28, 28} : new int[] {784};
        EdgeModel draft = quantizer.quantize(studentNet, calib, shape, meta);
        float[][] rows = test.getFeatures().toFloatMatrix();
        int[] truth = test.getLabels().argMax(1).toIntVector();
        int[] studentPred = studentNet.output(test.getFeatures(), false).argMax(1).toIntVector();
        int correct = 0;
        int agree = 0;
        for (int i = 0; i < rows.length; i++) {
            int p = draft.classify(rows[i]);
            correct += p == truth[i] ? 1 : 0;
            agree += p == studentPred[i] ? 1 : 0;
        }
        double edgeAccuracy = (double) correct / rows.length;
        meta.put("accuracy_teacher", String.format(java.util.Locale.ROOT, "%.4f", teacherAccuracy));
        meta.put("accuracy_student_fp32", String.format(java.util.Locale.ROOT, "%.4f", studentAccuracy));
        meta.put("accuracy_int8", String.format(java.util.Locale.ROOT, "%.4f", edgeAccuracy));
        meta.put("evaluated_on", Integer.toString(rows.length));
        EdgeModel model = new EdgeModel(meta, draft.mode(), shape, draft.inputScale(), draft.layers());
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
        return new Report(student, teacherModel.parameterCount(), teacherModel.parameterBytes(), teacherAccuracy,
                studentNet.numParams(), studentAccuracy, model.parameterBytes(), file.length, edgeAccuracy,
                (double) agree / rows.length, distillSeconds, target, unprunedParameters, unprunedAccuracy);
    }

    static double accuracy(MultiLayerNetwork net, DataSet test) {
        int[] pred = net.output(test.getFeatures(), false).argMax(1).toIntVector();
        int[] truth = test.getLabels().argMax(1).toIntVector();
        int correct = 0;
        for (int i = 0; i < pred.length; i++) {
            correct += pred[i] == truth[i] ? 1 : 0;
        }
        return (double) correct / pred.length;
    }
}
