package io.fedge.data;

import io.fedge.core.metrics.Task;
import io.fedge.data.format.CsvOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataSourceTest {
    @TempDir
    Path dir;

    private static DataSource csv(Path train, Path test, double fraction, Task task) {
        return new DataSource(DataFormat.CSV, null, train, null, test, null, fraction, 3, task,
                CsvOptions.lastColumnLabel(), null, Scaling.NONE);
    }

    @Test
    void mnistNamesGiveTheLabelsFile() {
        assertEquals(Path.of("/d/train-labels-idx1-ubyte.gz"),
                DataSource.defaultIdxLabels(Path.of("/d/train-images-idx3-ubyte.gz")));
        assertThrows(IllegalArgumentException.class, () -> DataSource.defaultIdxLabels(Path.of("x.idx")));
    }

    @Test
    void contradictoryOptionsAreRefused() {
        Path f = Path.of("t.csv");
        assertThrows(IllegalArgumentException.class, () -> csv(f, f, 0.2, Task.CLASSIFICATION));
        assertThrows(IllegalArgumentException.class, () -> csv(null, null, 0, Task.CLASSIFICATION));
        assertThrows(IllegalArgumentException.class, () -> new DataSource(DataFormat.IMAGES, null, f, null, null, null,
                0, 0, Task.REGRESSION, null, null, Scaling.NONE));
        assertThrows(IllegalArgumentException.class, () -> new DataSource(DataFormat.NPY, null, f, null, null, null,
                0, 0, Task.CLASSIFICATION, null, null, Scaling.NONE));
        assertThrows(IllegalArgumentException.class, () -> new DataSource(DataFormat.IDX, Path.of("d"), null, null,
                f, null, 0, 0, Task.CLASSIFICATION, null, null, Scaling.NONE));
        assertThrows(IllegalArgumentException.class, () -> new DataSource(DataFormat.IMAGES, null, f, null, null, null,
                0, 0, Task.CLASSIFICATION, null, 2, Scaling.NONE));
    }

    @Test
    void aTestFractionIsSplitOffEvenForAClientThatReadsNoTestSet() throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            b.append(i).append(',').append(i % 3).append('\n');
        }
        Path f = Files.writeString(dir.resolve("t.csv"), b);
        TrainTest withTest = csv(f, null, 0.2, Task.CLASSIFICATION).load(true);
        TrainTest client = csv(f, null, 0.2, Task.CLASSIFICATION).load(false);
        assertEquals(40, withTest.train().size());
        assertEquals(10, withTest.test().size());
        assertEquals(40, client.train().size());
        assertEquals(withTest.train().feature(7, 0), client.train().feature(7, 0), 0f);
        assertNull(csv(f, null, 0, Task.CLASSIFICATION).load(true).test());
        assertTrue(csv(f, null, 0.2, Task.REGRESSION).describe().containsKey("test_fraction"));
    }

    @Test
    void scalingUsesTheTrainingSetsStatisticsForBothSets() throws IOException {
        Path train = Files.writeString(dir.resolve("train.csv"), "0,10,a\n4,10,b\n2,10,a\n");
        Path test = Files.writeString(dir.resolve("test.csv"), "6,12,b\n");
        for (Scaling s : new Scaling[] {Scaling.MINMAX, Scaling.STANDARD}) {
            TrainTest sets = new DataSource(DataFormat.CSV, null, train, null, test, null, 0, 0, Task.CLASSIFICATION,
                    CsvOptions.lastColumnLabel(), null, s).load(true);
            // column 0: min 0, max 4, mean 2, population std sqrt(8/3); column 1 is constant 10: only shifted
            if (s == Scaling.MINMAX) {
                assertEquals(0.5f, sets.train().feature(2, 0), 0f);
                assertEquals(1.5f, sets.test().feature(0, 0), 0f);
            } else {
                assertEquals((float) (-2 / Math.sqrt(8.0 / 3)), sets.train().feature(0, 0), 1e-7f);
                assertEquals((float) (4 / Math.sqrt(8.0 / 3)), sets.test().feature(0, 0), 1e-7f);
            }
            assertEquals(0f, sets.train().feature(1, 1), 0f);
            assertEquals(2f, sets.test().feature(0, 1), 0f);
        }
        assertThrows(IllegalArgumentException.class, () -> new DataSource(DataFormat.IDX, Path.of("d"), null, null,
                null, null, 0, 0, Task.CLASSIFICATION, null, null, Scaling.STANDARD));
    }

    @Test
    void aMissingFileIsNamed() {
        NoSuchFileException e = assertThrows(NoSuchFileException.class,
                () -> csv(dir.resolve("absent.csv"), null, 0, Task.CLASSIFICATION).load(true));
        assertEquals(dir.resolve("absent.csv").toString(), e.getFile());
    }
}
