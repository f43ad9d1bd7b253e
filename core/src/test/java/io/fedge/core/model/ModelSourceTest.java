package io.fedge.core.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelSourceTest {
    @TempDir
    Path dir;

    private static final InputShape IMAGES = InputShape.FASHION_MNIST;

    private String message(Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void namesArePresetsFirstThenProviders() {
        assertEquals(ModelPresets.NAMES, ModelProviders.names().subList(0, ModelPresets.NAMES.size()));
        assertTrue(ModelProviders.names().contains("resnet"));
        assertTrue(ModelProviders.names().contains("tiny-test"), "a provider of the class path, by lower-case name");
        // a preset gives the same model as building it directly
        GlobalModel mlp = ModelSource.named("mlp").initialModel(IMAGES, 10, 4, 0.1);
        assertArrayEquals(Dl4jModels.initialModel(ModelPresets.mlp(4, 0.1)).parameters(), mlp.parameters(), 0f);
        // a provider's: softmax regression over 784 pixels and 10 classes, 7850 parameters
        GlobalModel tiny = ModelSource.named("TINY-test").initialModel(IMAGES, 10, 4, 0.1);
        assertEquals(784 * 10 + 10, tiny.parameterCount());
        assertEquals("tiny-test", ModelSource.named("Tiny-Test").describe());
        String m = message(() -> ModelSource.named("vgg"));
        assertTrue(m.contains("unknown model 'vgg'") && m.contains("resnet") && m.contains("mlp"), m);
        assertTrue(ModelProviders.help().contains("resnet: ")
                && ModelProviders.help().contains("Tiny-Test: softmax regression"), ModelProviders.help());
    }

    @Test
    void aConfigurationFileOfEitherKindBecomesTheModelItDescribes() throws IOException {
        Path layers = dir.resolve("mlp.json");
        Files.writeString(layers, ModelPresets.mlp(9, 0.05).toJson());
        ModelSource fromFile = ModelSource.configFile(layers);
        assertEquals("config mlp.json", fromFile.describe());
        GlobalModel m = fromFile.initialModel(IMAGES, 10, 1, 0.1);
        assertArrayEquals(Dl4jModels.initialModel(ModelPresets.mlp(9, 0.05)).parameters(), m.parameters(), 0f,
                "the file's own seed, not the federation's");

        Path graph = dir.resolve("resnet.json");
        Files.writeString(graph, new ResNetProvider().configuration(IMAGES, 10, 2, 0.1).json());
        GlobalModel g = ModelSource.configFile(graph).initialModel(IMAGES, 10, 1, 0.1);
        assertEquals(Network.Kind.GRAPH, Network.kindOf(g.configJson()));
        assertEquals(144 + 4800 + 170, g.parameterCount());
    }

    @Test
    void badFilesAreOneLineNamingTheFile() throws IOException {
        Path missing = dir.resolve("nope.json");
        assertTrue(message(() -> ModelSource.configFile(missing)).equals("model config " + missing + ": no such file"));

        Path truncated = dir.resolve("cut.json");
        String json = ModelPresets.cnn(1, 0.1).toJson();
        Files.writeString(truncated, json.substring(0, json.length() - 40));
        String m = message(() -> ModelSource.configFile(truncated));
        assertTrue(m.startsWith("model config " + truncated + ": DL4J cannot read the MultiLayerNetwork configuration: "),
                m);

        Path other = dir.resolve("other.json");
        Files.writeString(other, "{\"layers\": []}");
        assertTrue(message(() -> ModelSource.configFile(other)).contains("not a DL4J network configuration"));

        Path binary = dir.resolve("bin.json");
        Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 0x7b});
        assertTrue(message(() -> ModelSource.configFile(binary)).endsWith("not UTF-8 text"));

        Path huge = dir.resolve("huge.json");
        try (RandomAccessFile f = new RandomAccessFile(huge.toFile(), "rw")) {
            f.setLength(GlobalModel.MAX_CONFIG_BYTES + 1L); // one byte over the bound a model may carry
        }
        m = message(() -> ModelSource.configFile(huge));
        assertTrue(m.contains((GlobalModel.MAX_CONFIG_BYTES + 1L) + " bytes, more than the " + GlobalModel.MAX_CONFIG_BYTES),
                m);
        Path atBound = dir.resolve("bound.json");
        byte[] padded = (ModelPresets.mlp(1, 0.1).toJson()).getBytes(StandardCharsets.UTF_8);
        Files.write(atBound, padded);
        ModelSource.configFile(atBound); // well under: read
    }

    @Test
    void aModelThatDoesNotFitTheDataIsRefusedBeforeTheFederationStarts() throws IOException {
        Path vectors = dir.resolve("thirty.json");
        Files.writeString(vectors, ModelPresets.mlp(1, 0.1, 30, 10).toJson());
        String m = message(() -> ModelSource.configFile(vectors).initialModel(IMAGES, 10, 1, 0.1));
        assertTrue(m.startsWith("model config " + vectors + ": the model takes 30 values per example")
                && m.contains("the data have 784"), m);
        Path classes = dir.resolve("three.json");
        Files.writeString(classes, ModelPresets.mlp(1, 0.1, 784, 3).toJson());
        m = message(() -> ModelSource.configFile(classes).initialModel(IMAGES, 10, 1, 0.1));
        assertTrue(m.contains("output layer has 3 units, the data have 10 label columns"), m);

        ComputationGraphConfiguration twoOutputs = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
                .updater(new Sgd(0.1)).graphBuilder().addInputs("in")
                .addLayer("d", new DenseLayer.Builder().nOut(4).build(), "in")
                .addLayer("o1", new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX)
                        .build(), "d")
                .addLayer("o2", new OutputLayer.Builder(LossFunction.MSE).nOut(1).activation(Activation.IDENTITY)
                        .build(), "d")
                .setOutputs("o1", "o2").setInputTypes(InputType.feedForward(784)).build();
        Path two = dir.resolve("two.json");
        Files.writeString(two, twoOutputs.toJson());
        m = message(() -> ModelSource.configFile(two).initialModel(IMAGES, 10, 1, 0.1));
        assertTrue(m.contains("2 outputs"), m);
        m = message(() -> ModelSource.named("resnet").initialModel(new InputShape.Vector(30), 2, 1, 0.1));
        assertTrue(m.contains("needs images"), m);
    }
}
