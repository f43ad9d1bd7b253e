package io.fedge.data.partition;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Finds a {@link Partitioner} by the name used on the command line and in reports.
 *
 * <pre>{@code
 * Partitioner p = PartitionSchemes.byName("dirichlet", 0.5);
 * }</pre>
 */
public final class PartitionSchemes {

    /** The names {@link #byName(String, double)} accepts. */
    public static final List<String> NAMES = List.of("iid", "dirichlet", "shards", "labels2");

    private PartitionSchemes() {
    }

    /**
     * Returns the partitioner called {@code name}, ignoring case: {@code iid}
     * ({@link IidPartitioner}), {@code dirichlet} ({@link DirichletPartitioner} with the given
     * {@code alpha} and the default minimum size) or {@code shards} ({@link ShardPartitioner}
     * with two shards per client) or {@code labels2} ({@link LabelQuantityPartitioner}, NIID-Bench's
     * #C=2: two labels per client). {@code alpha} is only read for {@code dirichlet}.
     *
     * @param name the scheme's name
     * @param alpha the Dirichlet concentration
     * @return a new partitioner
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if the name is unknown, or for {@code dirichlet} if
     *     {@code alpha} is not positive and finite
     */
    public static Partitioner byName(String name, double alpha) {
        Objects.requireNonNull(name, "name");
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "iid" -> new IidPartitioner();
            case "dirichlet" -> new DirichletPartitioner(alpha);
            case "shards" -> new ShardPartitioner();
            case "labels2" -> new LabelQuantityPartitioner(2);
            default -> throw new IllegalArgumentException(
                    "unknown partition scheme '" + name + "', expected one of " + NAMES);
        };
    }
}
