package io.fedge.core.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads Fashion-MNIST (70,000 28x28 grey-scale images of 10 clothing classes) from the four IDX
 * files that Debian's {@code dataset-fashion-mnist} package installs. Nothing is downloaded.
 */
public final class FashionMnist {
    /** Where Debian's {@code dataset-fashion-mnist} package puts the files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    /** The command that installs the data set on Debian. */
    public static final String INSTALL_HINT = "sudo apt-get install -y dataset-fashion-mnist";
    public static final int NUM_CLASSES = 10;

    /** The two splits the data set ships. */
    public enum Split {
        /** 60,000 training examples. */
        TRAIN("train"),
        /** 10,000 test examples. */
        TEST("t10k");

        private final String prefix;

        Split(String prefix) {
            this.prefix = prefix;
        }
    }

    private FashionMnist() {
    }

    /**
     * Loads one split from {@code dir}.
     *
     * @throws IOException if a file is missing (the message says how to install it), unreadable,
     *     or malformed, or if images and labels disagree in count
     */
    public static LabeledImages load(Path dir, Split split) throws IOException {
        Path images = imagesFile(dir, split);
        Path labels = labelsFile(dir, split);
        IdxReader.IdxArray x = IdxReader.read(images);
        IdxReader.IdxArray y = IdxReader.read(labels);
        if (x.dims().length != 3 || y.dims().length != 1 || x.dims()[0] != y.dims()[0]) {
            throw new IOException("images " + images + " and labels " + labels + " do not match: "
                    + java.util.Arrays.toString(x.dims()) + " vs " + java.util.Arrays.toString(y.dims()));
        }
        try {
            return new LabeledImages(x.dims()[1], x.dims()[2], NUM_CLASSES, x.data(), y.data());
        } catch (IllegalArgumentException e) {
            throw new IOException("malformed Fashion-MNIST in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The IDX file of one split's images in {@code dir}, gzipped or not.
     *
     * @throws IOException if it is missing; the message says how to install the data set
     */
    public static Path imagesFile(Path dir, Split split) throws IOException {
        return find(dir, split.prefix + "-images-idx3-ubyte");
    }

    /**
     * The IDX file of one split's labels in {@code dir}, gzipped or not.
     *
     * @throws IOException if it is missing; the message says how to install the data set
     */
    public static Path labelsFile(Path dir, Split split) throws IOException {
        return find(dir, split.prefix + "-labels-idx1-ubyte");
    }

    private static Path find(Path dir, String base) throws IOException {
        List<Path> tried = new ArrayList<>();
        for (String name : new String[] {base + ".gz", base}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
            tried.add(p);
        }
        throw new IOException("Fashion-MNIST not found: none of " + tried + " exists. Install it with '"
                + INSTALL_HINT + "' or pass the folder holding the IDX files with --data.");
    }
}
