package io.fedge.data.format;

import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.IdxReader;
import io.fedge.core.model.InputShape;
import io.fedge.data.ClassLabels;
import io.fedge.data.Examples;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Reads labelled examples from two unsigned-byte IDX files (the format of MNIST and Fashion-MNIST),
 * gzipped or not: an examples file of dimensions {@code [n, ...]} and a labels file of {@code [n]}.
 * The examples' dimensions after the first give the shape: {@code [n, F]} vectors of F values,
 * {@code [n, H, W]} grey images, {@code [n, C, H, W]} images of C channels stored channel-first.
 * Values are 8-bit, kept as bytes ({@link Examples#ofBytes}, scaled to [0, 1] for the model); labels
 * are class indices, the classes {@code "0"} up to the largest label. Stateless.
 */
public final class IdxData {
    /** Fashion-MNIST's ten classes, in label order. */
    public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress",
            "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private IdxData() {
    }

    /**
     * One split of Fashion-MNIST from the folder Debian's {@code dataset-fashion-mnist} installs (or
     * another holding the same four files), with its class names.
     *
     * @throws IOException if a file is missing (the message says how to install the data set) or unreadable
     * @throws io.fedge.core.FedgeException ({@code MALFORMED}) if a file is malformed
     */
    public static Examples fashionMnist(Path dir, FashionMnist.Split split) throws IOException {
        return read(FashionMnist.imagesFile(dir, split), FashionMnist.labelsFile(dir, split), FASHION_MNIST_CLASSES);
    }

    /**
     * Reads an examples file and its labels file.
     *
     * @throws NoSuchFileException if a file is not there
     * @throws IOException if a file cannot be read
     * @throws io.fedge.core.FedgeException ({@code MALFORMED}) naming the file if it is not an
     *     unsigned-byte IDX file, is truncated, or the two files disagree
     */
    public static Examples read(Path examples, Path labels) throws IOException {
        return read(examples, labels, null);
    }

    private static Examples read(Path examples, Path labels, List<String> names) throws IOException {
        IdxReader.IdxArray x = idx(examples);
        IdxReader.IdxArray y = idx(labels);
        int[] dims = x.dims();
        if (y.dims().length != 1) {
            throw Malformed.of(labels, "labels must have one dimension [n], found " + Arrays.toString(y.dims()));
        }
        if (dims.length < 2) {
            throw Malformed.of(examples, "examples must have dimensions [n, ...], found " + Arrays.toString(dims));
        }
        if (dims[0] != y.dims()[0]) {
            throw Malformed.of(labels, y.dims()[0] + " labels, but " + examples + " holds " + dims[0] + " examples");
        }
        for (int d = 1; d < dims.length; d++) {
            if (dims[d] == 0) {
                throw Malformed.of(examples, "an example dimension is 0: " + Arrays.toString(dims));
            }
        }
        InputShape shape = switch (dims.length) {
            case 2 -> new InputShape.Vector(dims[1]);
            case 3 -> new InputShape.Image(1, dims[1], dims[2]);
            default -> new InputShape.Image(dims[1], dims[2], dims[3]);
        };
        byte[] raw = y.data();
        int[] classOf = new int[raw.length];
        int max = 0;
        for (int i = 0; i < raw.length; i++) {
            classOf[i] = raw[i] & 0xFF;
            max = Math.max(max, classOf[i]);
        }
        if (names != null && max >= names.size()) {
            throw Malformed.of(labels, "label " + max + ", but the data set has " + names.size() + " classes");
        }
        ClassLabels classes = names != null ? new ClassLabels(names, classOf) : ClassLabels.numbered(max + 1, classOf);
        return Examples.ofBytes(shape, x.data(), classes, null);
    }

    private static IdxReader.IdxArray idx(Path file) throws IOException {
        try {
            return IdxReader.read(file);
        } catch (NoSuchFileException | AccessDeniedException e) {
            throw e;
        } catch (IOException e) {
            if (!java.nio.file.Files.isRegularFile(file)) {
                throw e;
            }
            String m = e.getMessage() == null ? e.toString() : e.getMessage();
            String prefix = file + ": ";
            throw Malformed.of(file, m.startsWith(prefix) ? m.substring(prefix.length()) : m);
        }
    }
}
