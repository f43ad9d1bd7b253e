package io.fedge.core.model;

import io.fedge.core.FedgeException;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * Where a federation's initial model comes from: a preset or a {@link ModelProvider} by name
 * ({@code --model}), or a DL4J configuration JSON of either kind ({@code --model-config FILE}).
 * Each builds version 0 for the federation's data and checks that the model fits them: rows as wide
 * as its inputs take ({@link RowLayout}), one output, as many output units as classes where the
 * configuration says so. Implementations are immutable and thread-safe.
 */
public interface ModelSource {
    /** What the model is, for banners and {@code history.json}: {@code mlp}, {@code config model.json}. */
    String describe();

    /**
     * Version 0 for examples of {@code shape} and {@code classes} classes.
     *
     * @throws IllegalArgumentException in one line, naming the model, if it cannot take those data
     */
    GlobalModel initialModel(InputShape shape, int classes, long seed, double learningRate);

    /**
     * The preset ({@link ModelPresets}) or, failing that, the provider ({@link ModelProviders}) called {@code name}.
     *
     * @throws IllegalArgumentException listing the names there are, if neither has it
     */
    static ModelSource named(String name) {
        Objects.requireNonNull(name, "name");
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (!ModelPresets.NAMES.contains(n) && ModelProviders.find(n).isEmpty()) {
            throw new IllegalArgumentException("unknown model '" + name + "', expected one of " + ModelProviders.names()
                    + " (presets, then model providers on the class path)");
        }
        return new Named(n);
    }

    /**
     * A DL4J configuration JSON file of either kind, read and parsed now.
     *
     * @throws IllegalArgumentException in one line naming the file: missing, unreadable, larger than
     *     {@link GlobalModel#MAX_CONFIG_BYTES}, not UTF-8, or not a configuration DL4J reads (with DL4J's complaint)
     */
    static ModelSource configFile(Path file) {
        Objects.requireNonNull(file, "file");
        String what = "model config " + file;
        String json;
        try {
            long size = Files.size(file);
            if (size > GlobalModel.MAX_CONFIG_BYTES) {
                throw new IllegalArgumentException(what + ": " + size + " bytes, more than the "
                        + GlobalModel.MAX_CONFIG_BYTES + " a model's configuration may have");
            }
            json = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file)))
                    .toString();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(what + ": no such file");
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + ": not UTF-8 text");
        } catch (IOException e) {
            throw new IllegalArgumentException(what + ": cannot read it: " + e.getMessage());
        }
        return configJson(json, file.getFileName() == null ? file.toString() : file.getFileName().toString(), what);
    }

    /**
     * A DL4J configuration JSON of either kind, parsed now; {@code label} names it in {@link #describe()}
     * and {@code what} in messages.
     *
     * @throws IllegalArgumentException in one line, starting with {@code what}, if DL4J cannot read it
     */
    static ModelSource configJson(String json, String label, String what) {
        Network net;
        try {
            net = Network.fromJson(json);
        } catch (FedgeException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage());
        }
        return new Configured(net.configJson(), "config " + label, what);
    }

    /**
     * Checks that {@code net} fits examples of {@code shape} with {@code classes} label columns.
     *
     * @throws IllegalArgumentException in one line starting with {@code what} if it does not
     */
    static void checkFits(Network net, InputShape shape, int classes, String what) {
        if (net.outputCount() != 1) {
            throw new IllegalArgumentException(what + ": the graph has " + net.outputCount() + " outputs; fedge's data "
                    + "sets give one label row per example, for one output");
        }
        try {
            net.layout().widths(shape.size());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage());
        }
        Layer out = net.kind() == Network.Kind.LAYERS
                ? net.layers().getLayerWiseConfigurations().getConf(net.layers().getnLayers() - 1).getLayer()
                : net.graph().getOutputLayer(0).conf().getLayer();
        if (out instanceof FeedForwardLayer ff && ff.getNOut() > 0 && ff.getNOut() != classes) {
            throw new IllegalArgumentException(what + ": its output layer has " + ff.getNOut() + " units, the data have "
                    + classes + " label columns");
        }
    }

    /** A preset or a provider. */
    record Named(String name) implements ModelSource {
        @Override
        public String describe() {
            return name;
        }

        @Override
        public GlobalModel initialModel(InputShape shape, int classes, long seed, double learningRate) {
            String json = ModelPresets.NAMES.contains(name)
                    ? ModelPresets.byName(name, seed, learningRate, shape, classes).toJson()
                    : ModelProviders.find(name).orElseThrow(() -> new IllegalArgumentException("model provider '" + name
                            + "' is no longer on the class path")).configuration(shape, classes, seed, learningRate).json();
            Network net;
            try {
                net = Network.fromJson(json);
            } catch (FedgeException e) {
                throw new IllegalArgumentException("model " + name + ": " + e.getMessage());
            }
            checkFits(net, shape, classes, "model " + name);
            return new GlobalModel(0, net.configJson(), net.parameters());
        }
    }

    /** A configuration given as JSON; its seed and learning rate are its own (the coordinator sets the rate each round). */
    record Configured(String json, String label, String what) implements ModelSource {
        @Override
        public String describe() {
            return label;
        }

        @Override
        public GlobalModel initialModel(InputShape shape, int classes, long seed, double learningRate) {
            Network net = Network.fromJson(json);
            checkFits(net, shape, classes, what);
            return new GlobalModel(0, net.configJson(), net.parameters());
        }
    }
}
