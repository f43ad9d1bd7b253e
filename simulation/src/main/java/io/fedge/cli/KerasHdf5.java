package io.fedge.cli;

import io.jhdf.HdfFile;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a Keras 1 or 2 {@code model.save("model.h5")} file holds, read in Java (jhdf) rather than by
 * HDF5's C library: a damaged or hostile file is an exception naming what is wrong, never a crash of
 * the process (the C library ended the JVM on the 16th mutant of the fuzz campaign). Read are the
 * root's {@code model_config}, {@code training_config}, {@code keras_version} and {@code backend}
 * attributes and, under {@code model_weights}, each layer of {@code layer_names} with the datasets
 * its {@code weight_names} attribute names, as Keras's HDF5 saving lays them out.
 *
 * <p>Bounds: each configuration at most {@link #MAX_JSON_CHARS}; weights are float32 or float64,
 * stored without filters, every value finite, and none may declare more values than the file has
 * bytes for (so a header cannot make the reader allocate what the file does not hold).
 */
final class KerasHdf5 {
    static final int MAX_JSON_CHARS = 16 << 20;
    private static final Pattern TF_SUFFIX = Pattern.compile(":\\d+$");

    /** One weight: its values in row-major order and its shape, as Keras saved it. */
    record Weight(float[] values, long[] shape) {
    }

    /**
     * The file's contents.
     *
     * @param modelConfig the model_config JSON
     * @param trainingConfig the training_config JSON, null if the model was saved uncompiled
     * @param kerasVersion the keras_version attribute
     * @param backend the backend attribute ("tensorflow" if absent)
     * @param weights by layer name, then by parameter name (Keras's: {@code kernel}, {@code bias}, ...)
     */
    record Contents(String modelConfig, String trainingConfig, String kerasVersion, String backend,
                    Map<String, Map<String, Weight>> weights) {
    }

    /** Why a file cannot be used, in a sentence without the file's name. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    private KerasHdf5() {
    }

    /** Reads {@code bytes}, the whole file (which starts with HDF5's signature). */
    static Contents read(byte[] bytes) throws Refused {
        try (HdfFile file = HdfFile.fromBytes(bytes)) {
            String config = stringAttribute(file, "model_config", MAX_JSON_CHARS);
            if (config == null) {
                throw new Refused("an HDF5 file without Keras's model_config attribute (weights alone, from "
                        + "save_weights?); save the whole model with model.save(\"model.h5\")");
            }
            String training = stringAttribute(file, "training_config", MAX_JSON_CHARS);
            String version = stringAttribute(file, "keras_version", 64);
            if (version == null) {
                throw new Refused("no keras_version attribute: not a file Keras's model.save wrote");
            }
            if (version.isEmpty() || (version.charAt(0) != '1' && version.charAt(0) != '2')
                    || (version.length() > 1 && Character.isDigit(version.charAt(1)))) {
                throw new Refused("written by Keras " + printable(version) + "; DL4J's import reads the HDF5 files of "
                        + "Keras 1 and 2");
            }
            String backend = stringAttribute(file, "backend", 64);
            Node root = file.getChild("model_weights");
            if (!(root instanceof Group weightsGroup)) {
                throw new Refused("no model_weights group: the model's weights are not in the file");
            }
            return new Contents(config, training, version, backend == null ? "tensorflow" : backend,
                    weights(weightsGroup, bytes.length));
        } catch (Refused e) {
            throw e;
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            // jhdf's HdfException, and what a damaged structure makes of its parsing (a buffer read
            // past its end, a negative size, a cycle of groups): the file is broken, whatever the detail
            throw new Refused("a damaged HDF5 file (" + describe(e) + ")");
        }
    }

    private static Map<String, Map<String, Weight>> weights(Group root, long fileBytes) throws Refused {
        String[] layers = stringsAttribute(root, "layer_names");
        if (layers == null) {
            throw new Refused("model_weights has no layer_names attribute");
        }
        Map<String, Map<String, Weight>> weights = new LinkedHashMap<>();
        long budget = fileBytes; // no file holds more values' bytes than it has
        for (String layer : layers) {
            if (weights.containsKey(layer)) {
                throw new Refused("layer " + printable(layer) + " is listed twice in layer_names");
            }
            Node node = root.getChild(layer);
            if (!(node instanceof Group group)) {
                throw new Refused("layer " + printable(layer) + " of layer_names has no group in model_weights");
            }
            String[] names = stringsAttribute(group, "weight_names");
            if (names == null) {
                throw new Refused("layer " + printable(layer) + " has no weight_names attribute");
            }
            Map<String, Weight> params = new LinkedHashMap<>();
            for (String name : names) {
                String param = parameterName(layer, name);
                if (params.containsKey(param)) {
                    throw new Refused("layer " + printable(layer) + " names its weight " + printable(param) + " twice");
                }
                Node w = group.getByPath(name);
                if (!(w instanceof Dataset data)) {
                    throw new Refused("weight " + printable(name) + " of layer " + printable(layer) + " is not a dataset");
                }
                Weight weight = weight(data, layer + "/" + name, budget);
                budget -= (long) weight.values().length * Float.BYTES;
                params.put(param, weight);
            }
            weights.put(layer, params);
        }
        return weights;
    }

    private static Weight weight(Dataset data, String what, long budget) throws Refused {
        Class<?> type = data.getJavaType();
        int bytesPerValue = type == float.class ? 4 : type == double.class ? 8 : 0;
        if (bytesPerValue == 0) {
            throw new Refused("weight " + printable(what) + " holds " + type.getSimpleName()
                    + " values; Keras saves float32 or float64");
        }
        if (!data.getFilters().isEmpty()) {
            throw new Refused("weight " + printable(what) + " is stored compressed (" + data.getFilters().size()
                    + " HDF5 filters); Keras saves weights uncompressed");
        }
        int[] dims = data.getDimensions();
        long count = 1;
        long[] shape = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new Refused("weight " + printable(what) + " has a negative dimension");
            }
            shape[i] = dims[i];
            count = Math.multiplyExact(count, dims[i]);
        }
        if (count * bytesPerValue > budget || count > Integer.MAX_VALUE - 8) {
            throw new Refused("weight " + printable(what) + " declares " + count + " values, more than the file "
                    + "holds");
        }
        Object flat = dims.length == 0 ? data.getData() : data.getDataFlat();
        float[] values = new float[(int) count];
        if (flat instanceof float[] f && f.length == count) {
            System.arraycopy(f, 0, values, 0, values.length);
        } else if (flat instanceof double[] d && d.length == count) {
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) d[i];
            }
        } else if (dims.length == 0 && (flat instanceof Float || flat instanceof Double)) {
            values[0] = ((Number) flat).floatValue();
        } else {
            throw new Refused("weight " + printable(what) + " holds " + (flat == null ? "nothing" : "other values")
                    + " than its shape says");
        }
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new Refused("weight " + printable(what) + " holds a non-finite value at index " + i);
            }
        }
        return new Weight(values, shape);
    }

    /**
     * The parameter name DL4J's import gives a weight: its last path segment without
     * TensorFlow's {@code :0} suffix, and without Keras 1's layer-name prefix ({@code dense_1_W}).
     */
    static String parameterName(String layer, String weightName) {
        String last = weightName.substring(weightName.lastIndexOf('/') + 1);
        last = TF_SUFFIX.matcher(last).replaceFirst("");
        if (last.startsWith(layer + "_") && last.length() > layer.length() + 1) {
            last = last.substring(layer.length() + 1);
        }
        return last;
    }

    /**
     * A string attribute (h5py writes Python strings variable-length and bytes fixed-length, Keras
     * both), or the single string of a one-element array; null if absent.
     */
    private static String stringAttribute(Node node, String name, int maxChars) throws Refused {
        Attribute a = node.getAttribute(name);
        if (a == null) {
            return null;
        }
        Object data = a.getData();
        if (data != null && data.getClass().isArray() && Array.getLength(data) == 1) {
            data = Array.get(data, 0);
        }
        if (!(data instanceof String s)) {
            throw new Refused("its " + name + " attribute is not a string");
        }
        if (s.length() > maxChars) {
            throw new Refused("its " + name + " attribute has " + s.length() + " characters, more than the " + maxChars
                    + " read here");
        }
        return s;
    }

    /**
     * A list-of-names attribute, as Keras writes it: an array of strings (empty as an empty array of
     * any type), or chunked into {@code name0}, {@code name1}, ... when too big for one attribute.
     */
    private static String[] stringsAttribute(Node node, String name) throws Refused {
        if (node.getAttribute(name) != null) {
            return strings(node.getAttribute(name), name);
        }
        List<String> all = new ArrayList<>();
        boolean any = false;
        for (int chunk = 0; node.getAttribute(name + chunk) != null; chunk++) {
            any = true;
            all.addAll(List.of(strings(node.getAttribute(name + chunk), name + chunk)));
        }
        return any ? all.toArray(String[]::new) : null;
    }

    private static String[] strings(Attribute a, String name) throws Refused {
        if (a.isEmpty()) {
            return new String[0];
        }
        Object data = a.getData();
        if (data instanceof String s) {
            return new String[] {s};
        }
        if (data instanceof String[] s) {
            for (String x : s) {
                if (x == null) {
                    throw new Refused("its " + name + " attribute holds an empty entry");
                }
            }
            return s;
        }
        if (data != null && data.getClass().isArray() && Array.getLength(data) == 0) {
            return new String[0]; // h5py writes an empty list as an empty float64 array
        }
        throw new Refused("its " + name + " attribute is not a list of names");
    }

    /** A name from the file, safe to print on one line. */
    static String printable(String s) {
        String t = s.replaceAll("\\p{Cntrl}", "?");
        return "'" + (t.length() > 80 ? t.substring(0, 80) + "..." : t) + "'";
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        String line = e.getClass().getSimpleName() + (m == null ? "" : ": " + m.replaceAll("\\s+", " ").strip());
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }
}
