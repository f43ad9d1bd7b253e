package io.fedge.data.format;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.fedge.core.metrics.Task;
import io.fedge.core.model.InputShape;
import io.fedge.data.Examples;
import io.fedge.data.RegressionTargets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static io.fedge.data.format.TestFiles.doubles;
import static io.fedge.data.format.TestFiles.floats;
import static io.fedge.data.format.TestFiles.ints;
import static io.fedge.data.format.TestFiles.longs;
import static io.fedge.data.format.TestFiles.npy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyDataTest {
    @TempDir
    Path dir;

    private Path file(String name, byte[] bytes) throws IOException {
        return TestFiles.write(dir.resolve(name), bytes);
    }

    private String refused(Path x, Path y, Task task, Path named) {
        FedgeException e = assertThrows(FedgeException.class, () -> NpyData.read(x, y, task));
        assertEquals(ErrorCode.MALFORMED, e.code());
        assertTrue(e.getMessage().startsWith(named + ": "), e.getMessage());
        return e.getMessage();
    }

    @Test
    void readsFloatVectorsAndIntegerLabelsOfEveryVersion() throws IOException {
        for (int version = 1; version <= 3; version++) {
            Path x = file("x" + version + ".npy", npy(version, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                    floats(1, 2, 3, 4, 5, 6.5f)));
            Path y = file("y" + version + ".npy", npy("<i8", "(2,)", longs(3, 1)));
            Examples e = NpyData.read(x, y, Task.CLASSIFICATION);
            assertEquals(new InputShape.Vector(3), e.shape());
            assertEquals(6.5f, e.feature(1, 2), 0f);
            assertArrayEquals(new int[] {3, 1}, e.classLabels().labels());
            assertEquals(List.of("0", "1", "2", "3"), e.outputNames());
        }
    }

    @Test
    void bytesAreEightBitImagesAndOtherTypesFloats() throws IOException {
        Path x = file("x.npy", npy("|u1", "(2, 1, 2, 2)", new byte[] {0, 51, 102, (byte) 255, 1, 2, 3, 4}));
        Path y = file("y.npy", npy("<u1", "(2,)", new byte[] {1, 0}));
        Examples e = NpyData.read(x, y, Task.CLASSIFICATION);
        assertEquals(new InputShape.Image(1, 2, 2), e.shape());
        assertEquals(255, e.byteFeature(0, 3));
        assertEquals(0.2f, e.feature(0, 1), 0f); // 51 / 255
        Path grey = file("g.npy", npy("<f8", "(2, 2, 1)", doubles(0.25, 0.5, 1e-3, -7)));
        Examples g = NpyData.read(grey, y, Task.CLASSIFICATION);
        assertEquals(new InputShape.Image(1, 2, 1), g.shape());
        assertEquals(-7f, g.feature(1, 1), 0f);
        Path i4 = file("i.npy", npy("<i4", "(2, 2)", ints(-5, 6, 7, 8)));
        assertEquals(-5f, NpyData.read(i4, y, Task.CLASSIFICATION).feature(0, 0), 0f);
    }

    @Test
    void aRegressionTakesOneOrManyTargets() throws IOException {
        Path x = file("x.npy", npy("<f4", "(3, 1)", floats(1, 2, 3)));
        Path one = file("one.npy", npy("<f8", "(3,)", doubles(0.5, 1.5, 2.5)));
        Examples e = NpyData.read(x, one, Task.REGRESSION);
        assertEquals(List.of("0"), e.outputNames());
        assertEquals(2.5f, ((RegressionTargets) e.targets()).value(2, 0), 0f);
        Path two = file("two.npy", npy("<f4", "(3, 2)", floats(1, 2, 3, 4, 5, 6)));
        assertEquals(4f, ((RegressionTargets) NpyData.read(x, two, Task.REGRESSION).targets()).value(1, 1), 0f);
    }

    @Test
    void unsupportedLayoutsAndTypesAreRefusedNamingTheFile() throws IOException {
        Path y = file("y.npy", npy("<i4", "(2,)", ints(0, 1)));
        Path fortran = file("f.npy", npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1), }", floats(1, 2)));
        assertTrue(refused(fortran, y, Task.CLASSIFICATION, fortran).contains("Fortran order"));
        Path f2 = file("f2.npy", npy("<f2", "(2, 1)", new byte[4]));
        assertTrue(refused(f2, y, Task.CLASSIFICATION, f2).contains("element type '<f2' is not supported"));
        Path big = file("big.npy", npy(">f4", "(2, 1)", new byte[8]));
        assertTrue(refused(big, y, Task.CLASSIFICATION, big).contains("'>f4'"));
        Path structured = file("s.npy", npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }",
                new byte[8]));
        assertTrue(refused(structured, y, Task.CLASSIFICATION, structured).contains("structured dtype"));
        Path vector = file("v.npy", npy("<f4", "(2,)", floats(1, 2)));
        assertTrue(refused(vector, y, Task.CLASSIFICATION, vector).contains("expected (n, F)"));
        Path x = file("x.npy", npy("<f4", "(2, 1)", floats(1, 2)));
        Path floatLabels = file("fl.npy", npy("<f4", "(2,)", floats(0, 1)));
        assertTrue(refused(x, floatLabels, Task.CLASSIFICATION, floatLabels).contains("must be integers"));
        Path oneHot = file("oh.npy", npy("<i4", "(2, 2)", ints(1, 0, 0, 1)));
        assertTrue(refused(x, oneHot, Task.CLASSIFICATION, oneHot).contains("numpy.argmax"));
        Path negative = file("neg.npy", npy("<i4", "(2,)", ints(0, -1)));
        assertTrue(refused(x, negative, Task.CLASSIFICATION, negative).contains("label [1] is -1"));
        Path three = file("three.npy", npy("<i4", "(3,)", ints(0, 1, 1)));
        assertTrue(refused(x, three, Task.CLASSIFICATION, three).contains("holds 2 examples"));
        Path nan = file("nan.npy", npy("<f4", "(2, 1)", floats(1, Float.NaN)));
        assertTrue(refused(nan, y, Task.CLASSIFICATION, nan).contains("element [1, 0] is NaN"));
    }

    @Test
    void hostileHeadersAreRefusedBeforeAllocating() throws IOException {
        Path y = file("y.npy", npy("<i4", "(1,)", ints(0)));
        Path magic = file("m.npy", "PK\3\4 not numpy".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertTrue(refused(magic, y, Task.CLASSIFICATION, magic).contains("not a NumPy .npy file"));
        Path version = file("v.npy", Arrays.copyOf(npy("<f4", "(1, 1)", floats(1)), 80));
        byte[] v = java.nio.file.Files.readAllBytes(version);
        v[6] = 9;
        java.nio.file.Files.write(version, v);
        assertTrue(refused(version, y, Task.CLASSIFICATION, version).contains("version 9.0"));
        Path huge = file("huge.npy", npy("<f8", "(100000, 100000)", new byte[16]));
        assertTrue(refused(huge, y, Task.CLASSIFICATION, huge).contains("at most"));
        Path lie = file("lie.npy", npy("<f4", "(1000, 1000)", floats(1, 2)));
        assertTrue(refused(lie, y, Task.CLASSIFICATION, lie).contains("truncated: shape (1000, 1000) of <f4 needs 4000000"));
        Path header = file("h.npy", npy(1, "{'descr': '<f4', 'shape': (1, 1), }", floats(1)));
        assertTrue(refused(header, y, Task.CLASSIFICATION, header).contains("needs 'descr', 'fortran_order' and 'shape'"));
        Path junk = file("j.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, x), }", floats(1)));
        assertTrue(refused(junk, y, Task.CLASSIFICATION, junk).contains("malformed .npy header"));
        Path headerLength = file("hl.npy", Arrays.copyOf(npy("<f4", "(1, 1)", floats(1)), 12));
        assertTrue(refused(headerLength, y, Task.CLASSIFICATION, headerLength).contains("header of"));
        Path cut = file("cut.npy", Arrays.copyOf(npy("<f4", "(1, 1)", floats(1)), 9));
        assertTrue(refused(cut, y, Task.CLASSIFICATION, cut).contains("truncated in its header"));
        Path npz = file("d.npz", "PK".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertTrue(refused(npz, y, Task.CLASSIFICATION, npz).contains("unzip it"));
    }
}
