package io.fedge.data;

import java.util.List;
import java.util.Locale;

/** The file formats {@link DataSource} reads, by the names the command line uses. */
public enum DataFormat {
    /** Unsigned-byte IDX files (MNIST, Fashion-MNIST): {@link io.fedge.data.format.IdxData}. */
    IDX,
    /** Folders of PNG/JPEG/BMP/GIF images, one per class: {@link io.fedge.data.format.ImageFolders}. */
    IMAGES,
    /** A CSV table: {@link io.fedge.data.format.CsvTable}. */
    CSV,
    /** NumPy {@code .npy} arrays, features and labels: {@link io.fedge.data.format.NpyData}. */
    NPY;

    /** The names {@link #byName} accepts. */
    public static final List<String> NAMES = List.of("idx", "images", "csv", "npy");

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The format called {@code name} (any case).
     *
     * @throws IllegalArgumentException naming the formats otherwise
     */
    public static DataFormat byName(String name) {
        for (DataFormat f : values()) {
            if (f.label().equalsIgnoreCase(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown data format '" + name + "', expected one of " + NAMES);
    }
}
