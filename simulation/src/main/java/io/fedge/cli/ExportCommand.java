package io.fedge.cli;

import io.fedge.comm.tls.CertificateDirectory;
import io.fedge.core.model.InputShape;
import io.fedge.core.metrics.Task;
import io.fedge.data.Examples;
import io.fedge.data.TrainTest;
import io.fedge.core.model.GlobalModel;
import io.fedge.edge.EdgeModel;
import io.fedge.export.Distiller;
import io.fedge.export.EdgeExport;
import io.fedge.export.EdgeQuantizer;
import io.fedge.export.StructuredPruner;
import io.fedge.export.Student;
import io.fedge.export.StudentPresets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code fedge export}: a global model to a signed int8 edge model. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Distil a global model into a small student (or take it as it is: --student none), quantize it "
                + "to int8 and write the signed edge model (edge-model.fem) that devices run with the pure-Java "
                + "fedge-edge runtime, and its ONNX form (edge-model.onnx).",
                "The transfer set is the last --transfer examples of the training set: run the federation with "
                        + "'fedge simulate --holdout N' so no client ever had them."})
final class ExportCommand implements Callable<Integer>, OptionChecks.Validated {
    @Option(names = "--model", required = true, description = "the global model (global-model.fgm)")
    Path model;

    @Option(names = "--student", description = "what the teacher becomes: mlp-small or cnn-small (built for the "
            + "teacher's input shape and classes), none (the teacher itself, quantized as it is, when the edge format "
            + "can run it: docs/edge.md), or a DL4J MultiLayerConfiguration JSON file reading and predicting what the "
            + "teacher does; default ${DEFAULT-VALUE}")
    String student = "cnn-small";

    /** {@link #student}, read by {@link #validate}. */
    private Student studentSpec;

    @Option(names = "--out", description = "output folder; default ${DEFAULT-VALUE}")
    Path out = Path.of("runs", "edge");

    @picocli.CommandLine.Mixin
    DataOptions data = new DataOptions();

    @Option(names = "--transfer", description = "transfer-set size: the last N training examples (fewer than the "
            + "training set holds); default ${DEFAULT-VALUE}")
    int transfer = 5_000;

    @Option(names = "--temperature", description = "distillation temperature; default ${DEFAULT-VALUE}")
    double temperature = 4;

    @Option(names = "--alpha", description = "weight of the teacher's soft targets against hard labels; default ${DEFAULT-VALUE}")
    double alpha = 0.7;

    @Option(names = "--epochs", description = "distillation epochs over the transfer set; default ${DEFAULT-VALUE}")
    int epochs = 10;

    @Option(names = "--mode", description = "full (int8 activations) or weights (int8 weights only); default ${DEFAULT-VALUE}")
    String mode = "full";

    @Option(names = "--percentile", description = "activation calibration: percentile of magnitudes a scale "
            + "covers, 100 = max; default ${DEFAULT-VALUE}")
    double percentile = 99.99;

    @Option(names = "--certs", description = "folder with model-signing.key (fedge certs init); without it a "
            + "throwaway key signs the model and its public half is written next to it; default ${DEFAULT-VALUE}")
    Path certs = Path.of("certs");

    @Option(names = "--prune-keep", description = "structured pruning: keep this fraction of the neurons and "
            + "channels of every hidden layer (by L2 norm), then fine-tune; 1 = no pruning; default ${DEFAULT-VALUE}")
    double pruneKeep = 1;

    @Option(names = "--prune-sparsity", description = "unstructured pruning: zero this fraction of every layer's "
            + "weights (smallest magnitudes), fine-tune with the zeros kept; stored sparse; default none")
    double pruneSparsity;

    @Option(names = "--prune-epochs", description = "fine-tuning epochs after pruning; default ${DEFAULT-VALUE}")
    int pruneEpochs = 3;

    @Option(names = "--seed", description = "student initialisation and shuffling; default ${DEFAULT-VALUE}")
    long seed = 1;

    @Override
    public void validate() {
        try {
            studentSpec = Student.parse(student);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--student: " + e.getMessage(), e);
        }
        OptionChecks.oneOf("--mode", mode, java.util.List.of("full", "weights"));
        OptionChecks.atLeast("--transfer", transfer, 1);
        data.validate();
        OptionChecks.positive("--temperature", temperature);
        OptionChecks.range("--alpha", alpha, 0, 1, true);
        OptionChecks.atLeast("--epochs", epochs, 1);
        OptionChecks.range("--percentile", percentile, 50, 100, true);
        OptionChecks.fraction("--prune-keep", pruneKeep);
        OptionChecks.range("--prune-sparsity", pruneSparsity, 0, 1, false);
        OptionChecks.atLeast("--prune-epochs", pruneEpochs, 0);
        if (pruneKeep < 1 && pruneSparsity > 0) {
            throw new IllegalArgumentException("choose --prune-keep (structured) or --prune-sparsity (unstructured), "
                    + "not both");
        }
        if (pruneKeep < 1 && !(studentSpec instanceof Student.Preset)) {
            throw new IllegalArgumentException("--prune-keep cuts the units of the presets " + StudentPresets.NAMES
                    + ", whose wiring it knows; --student " + student + " is not one (--prune-sparsity prunes any student)");
        }
        if ((pruneKeep < 1 || pruneSparsity > 0) && studentSpec instanceof Student.None) {
            throw new IllegalArgumentException("pruning fine-tunes a distilled student; --student none exports the "
                    + "teacher as it is");
        }
    }

    private io.fedge.export.Pruner pruner() {
        Distiller fineTune = new Distiller(temperature, alpha, pruneEpochs, 64, 0.001, seed);
        if (pruneKeep < 1) {
            return new StructuredPruner(pruneKeep, fineTune);
        }
        return pruneSparsity > 0 ? new io.fedge.export.UnstructuredPruner(pruneSparsity, fineTune) : null;
    }

    @Override
    public Integer call() throws Exception {
        GlobalModel teacher = io.fedge.core.model.ModelFile.read(model, null);
        TrainTest sets = data.source(seed).load(true);
        Examples train = sets.train();
        if (train.task() != Task.CLASSIFICATION) {
            throw new IllegalArgumentException("fedge export distils a classifier; the data is a regression");
        }
        if (sets.test() == null) {
            throw new IllegalArgumentException("no test set to measure the edge model on: give --test PATH or "
                    + "--test-fraction F");
        }
        if (transfer >= train.size()) {
            throw new IllegalArgumentException("--transfer " + transfer + " must be below the " + train.size()
                    + " training examples");
        }
        int[] slice = Examples.range(train.size() - transfer, train.size());
        CertificateDirectory dir = new CertificateDirectory(certs);
        PrivateKey signing;
        PublicKey verifying;
        Files.createDirectories(out);
        if (Files.exists(dir.modelSigningKey())) {
            signing = dir.loadModelSigningKey();
            verifying = dir.loadModelVerifyingKey();
        } else {
            KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            signing = keys.getPrivate();
            verifying = keys.getPublic();
            Files.writeString(out.resolve("edge-model.pub"), "-----BEGIN PUBLIC KEY-----\n"
                    + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(verifying.getEncoded())
                    + "\n-----END PUBLIC KEY-----\n");
            System.out.println("no " + dir.modelSigningKey() + ": signed with a throwaway key, its public half in "
                    + out.resolve("edge-model.pub"));
        }
        EdgeModel.Mode m = switch (mode) {
            case "full" -> EdgeModel.Mode.FULL_INTEGER;
            case "weights" -> EdgeModel.Mode.WEIGHT_ONLY;
            default -> throw new IllegalArgumentException("--mode must be full or weights");
        };
        // the data's shape: an MLP teacher on these pixels still distils into a convolutional student
        EdgeExport.Report r = EdgeExport.export(teacher, studentSpec, train.shape(), train.toDataSet(slice),
                sets.test().toDataSet(),
                new Distiller(temperature, alpha, epochs, 64, 0.002, seed),
                pruner(),
                new EdgeQuantizer(m, percentile),
                signing, verifying, out);
        System.out.printf(Locale.ROOT, "teacher  (global model v%d, %s): %,d parameters, %,d bytes fp32, accuracy %.4f%n",
                teacher.version(), r.shape(), r.teacherParameters(), r.teacherBytes(), r.teacherAccuracy());
        boolean none = studentSpec instanceof Student.None;
        String name = none ? "teacher" : r.student();
        if (pruneKeep < 1 || pruneSparsity > 0) {
            System.out.printf(Locale.ROOT, "student  %s fp32 before pruning: %,d parameters, accuracy %.4f%n", name,
                    r.unprunedParameters(), r.unprunedAccuracy());
        }
        if (!none) {
            System.out.printf(Locale.ROOT, "student  %s fp32: %,d parameters, %,d bytes, accuracy %.4f (distilled in "
                    + "%.1f s)%n", name, r.studentParameters(), 4 * r.studentParameters(), r.studentAccuracy(),
                    r.distillSeconds());
        }
        System.out.printf(Locale.ROOT, "edge     %s int8 (%s): %,d parameter bytes (%.1fx smaller than the teacher), "
                        + "file %,d bytes, accuracy %.4f (%+.2f points against the teacher), agrees with fp32 %s on %.2f%%%n",
                name, m, r.edgeParameterBytes(), r.compression(), r.edgeFileBytes(), r.edgeAccuracy(),
                100 * (r.edgeAccuracy() - r.teacherAccuracy()), none ? "teacher" : "student", 100 * r.agreement());
        System.out.println("wrote " + r.file());
        return 0;
    }
}
