package io.fedge.data.format;

import io.fedge.data.ClassLabels;
import io.fedge.data.Examples;
import io.fedge.core.model.InputShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PngExportTest {
    @TempDir
    Path dir;

    private static Examples random(int n, int channels, int classes, long seed) {
        Random r = new Random(seed);
        byte[] pixels = new byte[n * channels * 3 * 4];
        r.nextBytes(pixels);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(classes);
        }
        return Examples.ofBytes(new InputShape.Image(channels, 3, 4), pixels, ClassLabels.numbered(classes, labels),
                null);
    }

    @Test
    void readBackTheImagesAreTheSameExamplesInTheSameOrder() throws IOException {
        for (int channels : new int[] {1, 3}) {
            // 12 classes and 105 examples: class folders 00..11 and files 000..104 must sort as numbers
            Examples original = random(105, channels, 12, channels);
            Path root = dir.resolve("c" + channels);
            assertEquals(105, PngExport.write(original, root));
            assertTrue(Files.isRegularFile(root.resolve("07").resolve(String.format("%03d.png",
                    firstOf(original, 7)))));
            Examples back = ImageFolders.read(root, null);
            assertEquals(original.shape(), back.shape());
            assertArrayEquals(original.classLabels().labels(), back.classLabels().labels());
            assertArrayEquals(original.toDataSet().getFeatures().data().asFloat(),
                    back.toDataSet().getFeatures().data().asFloat(), 0f);
        }
    }

    private static int firstOf(Examples e, int c) {
        for (int i = 0; i < e.size(); i++) {
            if (e.classLabels().label(i) == c) {
                return i;
            }
        }
        throw new AssertionError("no example of class " + c);
    }

    @Test
    void refusesWhatIsNotAnEightBitImage() {
        Examples vectors = Examples.ofFloats(new InputShape.Vector(2), new float[] {1, 2},
                ClassLabels.numbered(2, new int[] {1}), null);
        assertThrows(IllegalArgumentException.class, () -> PngExport.write(vectors, dir));
    }
}
