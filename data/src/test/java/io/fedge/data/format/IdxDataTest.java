package io.fedge.data.format;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.fedge.core.model.InputShape;
import io.fedge.data.Examples;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import static io.fedge.data.format.TestFiles.gzip;
import static io.fedge.data.format.TestFiles.idx;
import static io.fedge.data.format.TestFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxDataTest {
    @TempDir
    Path dir;

    private static byte[] ramp(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 37);
        }
        return b;
    }

    @Test
    void readsGreyImagesAndTheirLabels() throws IOException {
        Path x = write(dir.resolve("train-images-idx3-ubyte"), idx(new int[] {3, 2, 2}, ramp(12)));
        Path y = write(dir.resolve("train-labels-idx1-ubyte.gz"), gzip(idx(new int[] {3}, new byte[] {2, 0, 4})));
        Examples e = IdxData.read(x, y);
        assertEquals(new InputShape.Image(1, 2, 2), e.shape());
        assertEquals(List.of("0", "1", "2", "3", "4"), e.outputNames()); // up to the largest label
        assertArrayEquals(new int[] {2, 0, 4}, e.classLabels().labels());
        assertEquals((byte) (5 * 37) & 0xFF, e.byteFeature(1, 1));
        assertEquals(((5 * 37) & 0xFF) / 255f, e.feature(1, 1), 0f);
    }

    @Test
    void dimensionsGiveVectorsGreyOrChannelFirstImages() throws IOException {
        Path y = write(dir.resolve("y"), idx(new int[] {2}, new byte[] {0, 1}));
        assertEquals(new InputShape.Vector(6), IdxData.read(write(dir.resolve("v"), idx(new int[] {2, 6}, ramp(12))), y)
                .shape());
        assertEquals(new InputShape.Image(3, 1, 2), IdxData.read(write(dir.resolve("c"), idx(new int[] {2, 3, 1, 2},
                ramp(12))), y).shape());
    }

    @Test
    void refusesFilesThatDisagreeOrAreMalformedNamingTheFile() throws IOException {
        Path x = write(dir.resolve("x"), idx(new int[] {3, 2, 2}, ramp(12)));
        Path two = write(dir.resolve("two"), idx(new int[] {2}, new byte[] {0, 1}));
        FedgeException e = assertThrows(FedgeException.class, () -> IdxData.read(x, two));
        assertEquals(ErrorCode.MALFORMED, e.code());
        assertTrue(e.getMessage().startsWith(two + ": 2 labels, but " + x + " holds 3"), e.getMessage());
        Path matrixLabels = write(dir.resolve("m"), idx(new int[] {3, 1}, new byte[3]));
        e = assertThrows(FedgeException.class, () -> IdxData.read(x, matrixLabels));
        assertTrue(e.getMessage().contains("one dimension"), e.getMessage());
        Path cut = write(dir.resolve("cut"), java.util.Arrays.copyOf(idx(new int[] {3, 2, 2}, ramp(12)), 20));
        e = assertThrows(FedgeException.class, () -> IdxData.read(cut, two));
        assertTrue(e.getMessage().startsWith(cut + ": truncated"), e.getMessage());
        Path text = write(dir.resolve("text"), "hello, world");
        e = assertThrows(FedgeException.class, () -> IdxData.read(text, two));
        assertTrue(e.getMessage().startsWith(text + ": not an unsigned-byte IDX file"), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> IdxData.read(dir.resolve("absent"), two));
    }

    @Test
    void fashionMnistNamesItsClassesAndSaysHowToInstallIt() throws IOException {
        IOException e = assertThrows(IOException.class,
                () -> IdxData.fashionMnist(dir, io.fedge.core.data.FashionMnist.Split.TRAIN));
        assertTrue(e.getMessage().contains("sudo apt-get install -y dataset-fashion-mnist"), e.getMessage());
        write(dir.resolve("t10k-images-idx3-ubyte"), idx(new int[] {2, 1, 1}, new byte[] {1, 2}));
        write(dir.resolve("t10k-labels-idx1-ubyte"), idx(new int[] {2}, new byte[] {9, 0}));
        Examples test = IdxData.fashionMnist(dir, io.fedge.core.data.FashionMnist.Split.TEST);
        assertEquals(IdxData.FASHION_MNIST_CLASSES, test.outputNames());
        assertEquals("Ankle boot", test.outputNames().get(test.classLabels().label(0)));
    }
}
