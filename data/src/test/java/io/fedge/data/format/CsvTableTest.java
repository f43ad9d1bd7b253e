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
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CsvTableTest {
    @TempDir
    Path dir;

    private static CsvOptions options(boolean header, List<String> labels, List<String> features, String client) {
        return new CsvOptions(header, 0, ',', labels, features, client);
    }

    private Path csv(String name, String text) throws IOException {
        return TestFiles.write(dir.resolve(name), text);
    }

    private static String message(Path file, CsvOptions o, Task task) {
        FedgeException e = assertThrows(FedgeException.class, () -> CsvTable.read(file, o, task, true));
        assertEquals(ErrorCode.MALFORMED, e.code());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        return e.getMessage();
    }

    @Test
    void readsAHeaderedTableWithStringLabelsSortedAndAClientColumn() throws IOException {
        Path f = csv("t.csv", "user,x,species,y\nbob,1.5,setosa,2\nann,-3,virginica,4e1\nbob,0,\"setosa\",.5\n");
        Examples e = CsvTable.read(f, options(true, List.of("species"), List.of(), "user"), Task.CLASSIFICATION, true);
        assertEquals(new InputShape.Vector(2), e.shape());
        assertEquals(List.of("setosa", "virginica"), e.outputNames());
        assertArrayEquals(new int[] {0, 1, 0}, e.classLabels().labels());
        assertEquals(-3f, e.feature(1, 0), 0f);
        assertEquals(40f, e.feature(1, 1), 0f);
        assertEquals(0.5f, e.feature(2, 1), 0f);
        assertEquals(List.of("ann", "bob"), e.clients().orElseThrow().ids());
        assertEquals(1, e.clients().get().client(0));
        assertEquals(0, e.clients().get().client(1));
    }

    @Test
    void integerLabelsSortAsNumbersAndTheLastColumnIsTheDefaultLabel() throws IOException {
        Path f = csv("t.csv.gz", "");
        TestFiles.write(f, TestFiles.gzip("1,2,10\n3,4,9\n5,6,10\n7,8,1\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        Examples e = CsvTable.read(f, CsvOptions.lastColumnLabel(), Task.CLASSIFICATION, true);
        assertEquals(List.of("1", "9", "10"), e.outputNames());
        assertArrayEquals(new int[] {2, 1, 2, 0}, e.classLabels().labels());
        assertEquals(7f, e.feature(3, 0), 0f);
    }

    @Test
    void featureColumnsByIndexKeepTheirOrderAndSkipLinesSkip() throws IOException {
        Path f = csv("t.csv", "569,3,malignant,benign\n1,2,3,0\n4,5,6,1\n");
        Examples e = CsvTable.read(f, new CsvOptions(false, 1, ',', List.of("3"), List.of("2", "0"), null),
                Task.CLASSIFICATION, true);
        assertEquals(new InputShape.Vector(2), e.shape());
        assertEquals(6f, e.feature(1, 0), 0f);
        assertEquals(4f, e.feature(1, 1), 0f);
        assertEquals(2, e.size());
    }

    @Test
    void aRegressionReadsOneOrMoreTargetColumns() throws IOException {
        Path f = csv("r.tsv", "a\tb\tprice\trooms\n1\t2\t3.5\t4\n5\t6\t7\t8\n");
        Examples e = CsvTable.read(f, new CsvOptions(true, 0, '\t', List.of("price", "rooms"), List.of(), null),
                Task.REGRESSION, true);
        assertEquals(List.of("price", "rooms"), e.outputNames());
        RegressionTargets t = (RegressionTargets) e.targets();
        assertEquals(3.5f, t.value(0, 0), 0f);
        assertEquals(8f, t.value(1, 1), 0f);
        assertEquals(new InputShape.Vector(2), e.shape());
    }

    @Test
    void aNonNumericFeatureIsNamedWithItsLineAndColumn() throws IOException {
        Path f = csv("t.csv", "x,y,label\n1,2,a\n3,abc,b\n");
        assertEquals(f + ":3: feature column 'y' (1): 'abc' is not a number",
                message(f, options(true, List.of("label"), List.of(), null), Task.CLASSIFICATION));
        Path g = csv("g.csv", "1,2,a\n1,,b\n");
        assertEquals(g + ":2: feature column 1: '' is not a number", message(g, CsvOptions.lastColumnLabel(),
                Task.CLASSIFICATION));
        Path h = csv("h.csv", "1,NaN,a\n");
        assertTrue(message(h, CsvOptions.lastColumnLabel(), Task.CLASSIFICATION).contains("'NaN' is not a number"));
        Path big = csv("big.csv", "1,1e39,a\n");
        assertTrue(message(big, CsvOptions.lastColumnLabel(), Task.CLASSIFICATION).contains("out of float range"));
        Path target = csv("target.csv", "1,2,x\n");
        assertEquals(target + ":1: target column 2: 'x' is not a number",
                message(target, CsvOptions.lastColumnLabel(), Task.REGRESSION));
    }

    @Test
    void raggedRowsEmptyTablesAndBadQuotesAreNamed() throws IOException {
        Path ragged = csv("ragged.csv", "1,2,a\n3,4,b\n5,c\n");
        assertEquals(ragged + ":3: 2 values, expected 3 as on line 1",
                message(ragged, CsvOptions.lastColumnLabel(), Task.CLASSIFICATION));
        Path blank = csv("blank.csv", "1,2,a\n\n3,4,b\n");
        assertTrue(message(blank, CsvOptions.lastColumnLabel(), Task.CLASSIFICATION).startsWith(blank + ":2: 1 values"));
        Path empty = csv("empty.csv", "");
        assertEquals(empty + ": no data rows", message(empty, CsvOptions.lastColumnLabel(), Task.CLASSIFICATION));
        Path headerOnly = csv("header.csv", "a,b\n");
        assertTrue(message(headerOnly, options(true, List.of("b"), List.of(), null), Task.CLASSIFICATION)
                .contains("no data rows"));
        Path quote = csv("quote.csv", "1,2,a\n3,\"4,b\n");
        assertTrue(message(quote, CsvOptions.lastColumnLabel(), Task.CLASSIFICATION).startsWith(quote + ":2: not a CSV row"));
        Path emptyLabel = csv("label.csv", "1,2, \n");
        assertTrue(message(emptyLabel, CsvOptions.lastColumnLabel(), Task.CLASSIFICATION).contains("empty label"));
    }

    @Test
    void columnReferencesThatDoNotResolveAreNamed() throws IOException {
        Path f = csv("t.csv", "x,y,label\n1,2,a\n");
        assertTrue(message(f, options(true, List.of("species"), List.of(), null), Task.CLASSIFICATION)
                .contains("no column 'species' in the header [x, y, label]"));
        assertTrue(message(f, options(false, List.of("label"), List.of(), null), Task.CLASSIFICATION)
                .contains("the table has no header"));
        assertTrue(message(f, options(true, List.of("7"), List.of(), null), Task.CLASSIFICATION)
                .contains("label column 7 does not exist: the table has 3 columns"));
        assertTrue(message(f, options(true, List.of("label"), List.of("x", "label"), null), Task.CLASSIFICATION)
                .contains("named twice"));
        assertTrue(message(f, options(true, List.of("label"), List.of(), "label"), Task.CLASSIFICATION)
                .contains("both a label and the client"));
        Path one = csv("one.csv", "a\nb\n");
        assertTrue(message(one, CsvOptions.lastColumnLabel(), Task.CLASSIFICATION).contains("no feature columns"));
        assertThrows(IllegalArgumentException.class, () -> CsvTable.read(f, options(true, List.of("x", "y"), List.of(),
                null), Task.CLASSIFICATION, true));
    }

    @Test
    void aTestSetLeavesTheClientColumnOutWithoutReadingIt() throws IOException {
        Path f = csv("test.csv", "user,x,label\n,1,a\n");
        Examples e = CsvTable.read(f, options(true, List.of("label"), List.of(), "user"), Task.CLASSIFICATION, false);
        assertEquals(new InputShape.Vector(1), e.shape());
        assertFalse(e.clients().isPresent());
        Path noClient = csv("noclient.csv", "x,label\n1,a\n");
        assertEquals(1, CsvTable.read(noClient, options(true, List.of("label"), List.of(), "user"), Task.CLASSIFICATION,
                false).size());
    }

    @Test
    void tooManyLabelsSuggestARegressionAndLongLinesAreCut() throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i <= CsvTable.MAX_CLASSES; i++) {
            b.append(i).append(',').append(i * 0.5).append('\n');
        }
        Path many = csv("many.csv", b.toString());
        String m = message(many, CsvOptions.lastColumnLabel(), Task.CLASSIFICATION);
        assertTrue(m.contains(":" + (CsvTable.MAX_CLASSES + 1) + ": more than " + CsvTable.MAX_CLASSES)
                && m.contains("--task regression"), m);
        Path longLine = dir.resolve("long.csv");
        try (var out = java.nio.file.Files.newBufferedWriter(longLine)) {
            out.write("1,a\n");
            char[] chunk = new char[1 << 16];
            java.util.Arrays.fill(chunk, '9');
            for (int i = 0; i < (CsvTable.MAX_LINE_BYTES >> 16) + 1; i++) {
                out.write(chunk);
            }
        }
        assertEquals(longLine + ":2: a line longer than " + CsvTable.MAX_LINE_BYTES + " bytes",
                message(longLine, CsvOptions.lastColumnLabel(), Task.CLASSIFICATION));
    }

    @Test
    void aCutGzipStreamAndAMissingFileAreReported() throws IOException {
        byte[] gz = TestFiles.gzip("1,2,a\n3,4,b\n5,6,c\n".repeat(100).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Path cut = TestFiles.write(dir.resolve("cut.csv.gz"), java.util.Arrays.copyOf(gz, gz.length / 2));
        assertTrue(message(cut, CsvOptions.lastColumnLabel(), Task.CLASSIFICATION).startsWith(cut + ": cannot be read"));
        assertThrows(NoSuchFileException.class, () -> CsvTable.read(dir.resolve("absent.csv"), CsvOptions.lastColumnLabel(),
                Task.CLASSIFICATION, true));
    }

    @Test
    void aByteOrderMarkBeforeTheHeaderIsIgnored() throws IOException {
        Path f = csv("bom.csv", "\uFEFFx,label\n1,a\n2,b\n");
        assertEquals(2, CsvTable.read(f, options(true, List.of("label"), List.of("x"), null), Task.CLASSIFICATION, true)
                .size());
    }

    @Test
    void decimalsArePlainDecimalsOnly() {
        for (String ok : new String[] {"0", "-1", "+2.5", ".5", "5.", "1e3", "1E-3", "-0.25e+2"}) {
            assertTrue(CsvTable.isDecimal(ok), ok);
        }
        for (String bad : new String[] {"", ".", "e3", "1e", "1.5f", "0x1p3", "Infinity", "NaN", "1,5", "--1", "1e+"}) {
            assertFalse(CsvTable.isDecimal(bad), bad);
        }
    }
}
