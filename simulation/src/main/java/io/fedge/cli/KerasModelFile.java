package io.fedge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedge.core.FedgeException;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.InputShape;
import io.fedge.core.model.ModelSource;
import io.fedge.core.model.Network;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.KerasLayer;
import org.deeplearning4j.nn.modelimport.keras.KerasModel;
import org.deeplearning4j.nn.modelimport.keras.KerasSequentialModel;
import org.deeplearning4j.nn.modelimport.keras.exceptions.InvalidKerasConfigurationException;
import org.deeplearning4j.nn.modelimport.keras.utils.KerasModelBuilder;
import org.deeplearning4j.nn.modelimport.keras.utils.KerasModelUtils;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Keras 1 or 2 model saved as HDF5 ({@code model.save("model.h5")}): the file is read in Java
 * ({@link KerasHdf5}), the architecture goes through DL4J's own Keras import and becomes the
 * federation's DL4J configuration (made fit for fedge by {@link KerasConfigFixes}), and the saved
 * weights are its version 0, so a federation can start from a model trained elsewhere. A Sequential
 * model becomes a layer stack, a functional one a graph. The command line's only: the import never
 * reaches the client library.
 *
 * <p>Everything is read and checked when the option is validated, so a bad file is one line before
 * anything starts: not HDF5 (a Keras 3 {@code .keras} archive or DL4J's zip is named as such),
 * damaged, no loss (a model saved without {@code compile}: fedge's training needs the loss), a
 * layer DL4J's import does not know (its message, naming the layer), or weights that do not fit
 * the architecture.
 */
final class KerasModelFile implements ModelSource {
    /** HDF5's signature, the first 8 bytes of a file written at offset 0 (as Keras writes). */
    private static final byte[] HDF5 = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    private static final byte[] ZIP = {'P', 'K', 3, 4};
    /** The most a Keras file may weigh here: a model for edge devices, far below it. */
    static final long MAX_BYTES = 512L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String label;
    private final String what;
    private final String configJson;
    private final float[] parameters;

    private KerasModelFile(String label, String what, String configJson, float[] parameters) {
        this.label = label;
        this.what = what;
        this.configJson = configJson;
        this.parameters = parameters;
    }

    /** Whether {@code file} starts with HDF5's signature (false if it cannot be read: the JSON path says why). */
    static boolean isHdf5(Path file) {
        return startsWith(file, HDF5);
    }

    private static boolean startsWith(Path file, byte[] magic) {
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(magic.length), magic);
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether {@code file} is a zip archive, as Keras 3's {@code .keras} files are. */
    static boolean isZip(Path file) {
        return startsWith(file, ZIP);
    }

    /**
     * Imports {@code file} now.
     *
     * @throws IllegalArgumentException in one line naming the file if it cannot be used
     */
    static KerasModelFile read(Path file) {
        String what = "Keras model " + file;
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw new IllegalArgumentException(what + ": " + size + " bytes, more than the " + MAX_BYTES
                        + " a Keras model may have here");
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(what + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException(what + ": cannot read it: " + e.getMessage());
        }
        if (!isHdf5(file)) {
            throw new IllegalArgumentException(what + ": not an HDF5 file" + (isZip(file) ? zipKind(file) : ""));
        }
        KerasHdf5.Contents contents;
        try {
            contents = KerasHdf5.read(Files.readAllBytes(file));
        } catch (KerasHdf5.Refused e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException(what + ": cannot read it: " + e.getMessage());
        }
        if (contents.trainingConfig() == null) {
            throw new IllegalArgumentException(what + ": saved without a loss (no training_config: the model was "
                    + "not compiled); compile it with its loss before model.save, fedge's training needs it");
        }
        String json;
        float[] parameters;
        try {
            ObjectNode modelConfig = modelConfig(what, contents);
            Map<String, long[]> shapes = KerasConfigFixes.inputShapes(modelConfig);
            String modelClass = modelConfig.path("class_name").asText("");
            KerasModelBuilder builder = new KerasModel().modelBuilder()
                    .modelJson(JSON.writeValueAsString(modelConfig))
                    .trainingJson(contents.trainingConfig())
                    .enforceTrainingConfig(true);
            if (modelClass.equals("Sequential")) {
                KerasSequentialModel keras = builder.buildSequential();
                setWeights(what, keras, contents);
                MultiLayerConfiguration conf = keras.getMultiLayerConfiguration();
                requireParameters(what, parameterCount(conf.getConfs()), contents);
                MultiLayerNetwork imported = new MultiLayerNetwork(conf);
                imported.init();
                copyWeights(what, imported, keras);
                requireLoss(what, imported.getOutputLayer());
                json = KerasConfigFixes.fix(imported, shapes);
                parameters = imported.params().toFloatVector();
            } else if (modelClass.equals("Model") || modelClass.equals("Functional")) {
                KerasModel keras = builder.buildModel();
                setWeights(what, keras, contents);
                ComputationGraphConfiguration conf = keras.getComputationGraphConfiguration();
                List<NeuralNetConfiguration> layers = new ArrayList<>();
                for (GraphVertex v : conf.getVertices().values()) {
                    if (v instanceof LayerVertex lv) {
                        layers.add(lv.getLayerConf());
                    }
                }
                requireParameters(what, parameterCount(layers), contents);
                ComputationGraph imported = new ComputationGraph(conf);
                imported.init();
                copyWeights(what, imported, keras);
                for (int i = 0; i < imported.getNumOutputArrays(); i++) {
                    requireLoss(what, imported.getOutputLayer(i));
                }
                parameters = imported.params().toFloatVector();
                json = KerasConfigFixes.fix(imported.getConfiguration(), shapes);
            } else {
                throw new IllegalArgumentException(what + ": a Keras '" + modelClass + "', expected a Sequential or a "
                        + "functional Model");
            }
            Network.fromJson(json); // what fedge makes of it (its row layout, its training path), refused here if anything
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(what)) {
                throw e; // this class's own refusal
            }
            throw new IllegalArgumentException(what + ": DL4J's Keras import refused it: " + oneLine(e));
        } catch (FedgeException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage());
        } catch (Exception | StackOverflowError e) {
            throw new IllegalArgumentException(what + ": DL4J's Keras import refused it: " + oneLine(e));
        }
        String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        return new KerasModelFile("keras " + name, what, json, parameters);
    }

    /** What a zip given as a model is, by its entries: Keras 3's archive, DL4J's model zip, or neither. */
    private static String zipKind(Path file) {
        java.util.Set<String> entries = new java.util.HashSet<>();
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(file.toFile())) {
            zip.stream().limit(1000).forEach(e -> entries.add(e.getName()));
        } catch (IOException e) {
            return " but a broken zip archive (" + e.getMessage() + ")";
        }
        if (entries.contains("configuration.json") && entries.contains("coefficients.bin")) {
            return " but DL4J's model zip (ModelSerializer); --model-config takes its configuration, the zip's "
                    + "configuration.json, as a file of its own";
        }
        if (entries.contains("config.json") || entries.contains("metadata.json")) {
            return " but a zip archive (Keras 3's .keras format); save the model as HDF5 with "
                    + "model.save(\"model.h5\"), which DL4J's Keras import reads";
        }
        return " but a zip archive that holds no model fedge reads";
    }

    /** The model_config JSON with the file's keras_version and backend in it, where DL4J's import reads them. */
    private static ObjectNode modelConfig(String what, KerasHdf5.Contents contents) throws IOException {
        JsonNode node = JSON.readTree(contents.modelConfig());
        if (!(node instanceof ObjectNode config)) {
            throw new IllegalArgumentException(what + ": its model_config is not a JSON object");
        }
        config.put("keras_version", contents.kerasVersion());
        config.put("backend", contents.backend());
        return config;
    }

    /** Hands each layer its weights from the file, as DL4J's import does from HDF5's C library. */
    private static void setWeights(String what, KerasModel keras, KerasHdf5.Contents contents)
            throws InvalidKerasConfigurationException {
        Map<String, KerasLayer> layers = keras.getLayers();
        for (Map.Entry<String, Map<String, KerasHdf5.Weight>> e : contents.weights().entrySet()) {
            if (e.getValue().isEmpty()) {
                continue;
            }
            KerasLayer layer = layers.get(e.getKey());
            if (layer == null) {
                throw new IllegalArgumentException(what + ": weights for layer " + KerasHdf5.printable(e.getKey())
                        + ", which model_config does not have");
            }
            Map<String, INDArray> arrays = new HashMap<>();
            for (Map.Entry<String, KerasHdf5.Weight> w : e.getValue().entrySet()) {
                KerasHdf5.Weight weight = w.getValue();
                arrays.put(w.getKey(), weight.shape().length == 0 ? Nd4j.scalar(weight.values()[0])
                        : Nd4j.create(weight.values(), weight.shape(), 'c'));
            }
            layer.setWeights(arrays);
        }
        for (KerasLayer layer : keras.getLayersOrdered()) {
            if (layer.getNumParams() > 0 && (layer.getWeights() == null || layer.getWeights().isEmpty())) {
                throw new IllegalArgumentException(what + ": layer " + KerasHdf5.printable(layer.getLayerName())
                        + " has no weights in the file");
            }
        }
    }

    private static long parameterCount(List<NeuralNetConfiguration> layers) {
        long count = 0;
        for (NeuralNetConfiguration c : layers) {
            count += c.getLayer().initializer().numParams(c);
        }
        return count;
    }

    /**
     * Refuses an architecture with more parameters than the file has weights before anything is
     * allocated for it: a configuration cannot make fedge allocate what the file does not hold.
     */
    private static void requireParameters(String what, long architecture, KerasHdf5.Contents contents) {
        long saved = 0;
        for (Map<String, KerasHdf5.Weight> layer : contents.weights().values()) {
            for (KerasHdf5.Weight w : layer.values()) {
                saved += w.values().length;
            }
        }
        if (architecture > saved) {
            throw new IllegalArgumentException(what + ": model_config describes " + architecture
                    + " parameters, the file holds " + saved + " weights");
        }
    }

    /**
     * Copies the weights into the initialised network, each parameter checked to take exactly as
     * many values as the file holds for it (DL4J's own copy reshapes or broadcasts what does not fit).
     */
    private static void copyWeights(String what, Model model, KerasModel keras)
            throws InvalidKerasConfigurationException {
        Layer[] network = model instanceof MultiLayerNetwork m ? m.getLayers() : ((ComputationGraph) model).getLayers();
        for (Layer layer : network) {
            String name = layer.conf().getLayer().getLayerName();
            KerasLayer source = keras.getLayers().get(name);
            if (source == null || source.getNumParams() == 0) {
                continue;
            }
            for (Map.Entry<String, INDArray> p : layer.paramTable().entrySet()) {
                INDArray saved = source.getWeights().get(p.getKey());
                if (saved == null) {
                    throw new IllegalArgumentException(what + ": layer " + KerasHdf5.printable(name) + " has no weight "
                            + "for its parameter " + p.getKey());
                }
                if (saved.length() != p.getValue().length()) {
                    throw new IllegalArgumentException(what + ": layer " + KerasHdf5.printable(name) + "'s "
                            + p.getKey() + " takes " + p.getValue().length() + " values, the file holds "
                            + saved.length());
                }
            }
        }
        KerasModelUtils.copyWeightsToModel(model, keras.getLayers());
    }

    private static void requireLoss(String what, Layer out) {
        if (!(out instanceof IOutputLayer)) {
            throw new IllegalArgumentException(what + ": its last layer (" + out.conf().getLayer().getLayerName()
                    + ") has no loss after import; compile the model with a loss DL4J maps (such as "
                    + "categorical_crossentropy or mse) before model.save");
        }
    }

    private static String oneLine(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        m = m.replaceAll("\\s+", " ").strip();
        return m.length() > 300 ? m.substring(0, 300) + "..." : m;
    }

    @Override
    public String describe() {
        return label;
    }

    /**
     * Version 0: the Keras model's configuration and its saved weights (the seed and learning
     * rate are the file's; the coordinator sets the rate each round).
     */
    @Override
    public GlobalModel initialModel(InputShape shape, int classes, long seed, double learningRate) {
        Network net = Network.fromJson(configJson);
        ModelSource.checkFits(net, shape, classes, what);
        int count = net.parameters().length;
        if (count != parameters.length) {
            throw new IllegalStateException(what + ": the configuration has " + count
                    + " parameters, the imported weights " + parameters.length);
        }
        return new GlobalModel(0, configJson, parameters.clone());
    }
}
