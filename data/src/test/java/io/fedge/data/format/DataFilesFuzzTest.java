package io.fedge.data.format;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.fedge.core.metrics.Task;
import io.fedge.data.Examples;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The data files' part of fedge's fuzz campaign: a valid file of each format (IDX, .npy, CSV,
 * gzipped CSV, PNG in an image folder) is mutated thousands of times (bytes flipped, set to 0x00
 * or 0xFF, cut, duplicated, spliced with random bytes) and read. Every outcome must be examples of
 * a consistent size or a {@code MALFORMED} {@link FedgeException} naming the file; no other
 * exception, no hang, and no allocation the file's content cannot justify (the JVM's 3 GB heap
 * would overflow on a header trusted at 2^31 elements).
 */
class DataFilesFuzzTest {
    private static final int MUTATIONS = 1500;

    @TempDir
    Path dir;

    private final Random rng = new Random(20261202L);

    private interface Reader {
        Examples read(Path file) throws IOException;
    }

    private byte[] mutate(byte[] valid) {
        byte[] b = valid.clone();
        int kind = rng.nextInt(6);
        switch (kind) {
            case 0 -> {
                for (int k = 1 + rng.nextInt(4); k > 0; k--) {
                    b[rng.nextInt(b.length)] ^= (byte) (1 << rng.nextInt(8));
                }
            }
            case 1 -> b[rng.nextInt(b.length)] = rng.nextBoolean() ? 0 : (byte) 0xFF;
            case 2 -> b = Arrays.copyOf(b, rng.nextInt(b.length));
            case 3 -> {
                int from = rng.nextInt(b.length);
                int len = 1 + rng.nextInt(Math.min(64, b.length - from));
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.write(b, 0, from + len);
                out.write(b, from, b.length - from);
                b = out.toByteArray();
            }
            case 4 -> {
                byte[] noise = new byte[1 + rng.nextInt(16)];
                rng.nextBytes(noise);
                int at = rng.nextInt(b.length);
                System.arraycopy(noise, 0, b, at, Math.min(noise.length, b.length - at));
            }
            default -> {
                // a header field set to a huge value: the first 16 bytes hold every format's sizes
                int at = rng.nextInt(Math.min(16, b.length - 3));
                b[at] = (byte) 0x7F;
                b[at + 1] = (byte) 0xFF;
                b[at + 2] = (byte) 0xFF;
            }
        }
        return b;
    }

    private void campaign(String name, byte[] valid, Path file, Reader reader) throws IOException {
        Files.write(file, valid);
        Examples baseline = reader.read(file);
        assertTrue(baseline.size() > 0, name + " baseline");
        int refused = 0;
        for (int i = 0; i < MUTATIONS; i++) {
            byte[] m = mutate(valid);
            Files.write(file, m);
            try {
                Examples e = reader.read(file);
                assertEquals(e.size() * e.shape().size(), e.toDataSet().getFeatures().length(), name + " mutation " + i);
            } catch (FedgeException e) {
                assertEquals(ErrorCode.MALFORMED, e.code(), name + " mutation " + i + ": " + e);
                assertTrue(e.getMessage().contains(file.getFileName().toString()), name + " mutation " + i + ": "
                        + e.getMessage());
                assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
                refused++;
            } catch (RuntimeException | IOException e) {
                fail(name + " mutation " + i + " escaped as " + e, e);
            }
        }
        assertTrue(refused > MUTATIONS / 10, name + ": only " + refused + " of " + MUTATIONS + " mutations refused");
    }

    @Test
    void idxFiles() throws IOException {
        byte[] pixels = new byte[6 * 4 * 4];
        rng.nextBytes(pixels);
        Path labels = TestFiles.write(dir.resolve("labels.idx"), TestFiles.idx(new int[] {6}, new byte[] {0, 1, 2, 3,
                4, 5}));
        campaign("idx examples", TestFiles.idx(new int[] {6, 4, 4}, pixels), dir.resolve("examples.idx"),
                f -> IdxData.read(f, labels));
        Path examples = TestFiles.write(dir.resolve("fixed.idx"), TestFiles.idx(new int[] {6, 4, 4}, pixels));
        campaign("idx labels", TestFiles.gzip(TestFiles.idx(new int[] {6}, new byte[] {0, 1, 2, 3, 4, 5})),
                dir.resolve("labels.gz"), f -> IdxData.read(examples, f));
    }

    @Test
    void npyFiles() throws IOException {
        Path labels = TestFiles.write(dir.resolve("y.npy"), TestFiles.npy("<i8", "(4,)", TestFiles.longs(0, 1, 1, 0)));
        campaign("npy features", TestFiles.npy("<f4", "(4, 3)", TestFiles.floats(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)),
                dir.resolve("x.npy"), f -> NpyData.read(f, labels, Task.CLASSIFICATION));
        Path features = TestFiles.write(dir.resolve("fx.npy"), TestFiles.npy("|u1", "(4, 2)", new byte[8]));
        campaign("npy labels", TestFiles.npy(2, "{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }",
                TestFiles.ints(3, 1, 0, 2)), dir.resolve("labels.npy"), f -> NpyData.read(features, f,
                Task.CLASSIFICATION));
    }

    @Test
    void csvFiles() throws IOException {
        String table = "id,a,b,label\nu1,1.5,2,x\nu2,-3,4e2,y\nu1,\"5\",6,x\nu3,7,.5,z\n";
        CsvOptions o = new CsvOptions(true, 0, ',', java.util.List.of("label"), java.util.List.of(), "id");
        campaign("csv", table.getBytes(StandardCharsets.UTF_8), dir.resolve("t.csv"),
                f -> CsvTable.read(f, o, Task.CLASSIFICATION, true));
        campaign("csv.gz", TestFiles.gzip(table.getBytes(StandardCharsets.UTF_8)), dir.resolve("t.csv.gz"),
                f -> CsvTable.read(f, o, Task.CLASSIFICATION, true));
    }

    @Test
    void pngInAnImageFolder() throws IOException {
        Path root = dir.resolve("images");
        TestFiles.image(root.resolve("a/0.png"), TestFiles.grey(6, 5, 3), "png");
        TestFiles.image(root.resolve("b/1.png"), TestFiles.rgb(6, 5, 7), "png");
        Path target = root.resolve("b/2.png");
        TestFiles.image(target, TestFiles.rgb(6, 5, 9), "png");
        byte[] valid = Files.readAllBytes(target);
        campaign("png", valid, target, f -> ImageFolders.read(root, null));
    }
}
