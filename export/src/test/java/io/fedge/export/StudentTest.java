package io.fedge.export;

import io.fedge.core.model.InputShape;
import io.fedge.core.model.ModelPresets;
import io.fedge.core.model.Network;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How a student is named, read and checked against its teacher. */
class StudentTest {
    private static final ClassifierShape COLOUR = new ClassifierShape(new InputShape.Image(3, 16, 16), 5);

    @Test
    void presetsAndNoneAreNamed() {
        assertEquals(new Student.Preset("cnn-small"), Student.parse("cnn-small"));
        assertSame(Student.None.INSTANCE, Student.parse("none"));
        assertEquals("none", Student.None.INSTANCE.name());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Student.parse("resnet-tiny"));
        assertEquals("student 'resnet-tiny' is not one of [mlp-small, cnn-small], not 'none', and no such file",
                e.getMessage());
    }

    @Test
    void thePresetsTakeTheTeachersShape() {
        MultiLayerNetwork cnn = new MultiLayerNetwork(new Student.Preset("cnn-small").configuration(COLOUR, 1, 0.01));
        cnn.init();
        assertEquals(COLOUR, ClassifierShape.of(Network.of(cnn)));
        // conv 3->8 (224), conv 8->16 (1,168), dense 16*4*4 -> 32 (8,224), dense 32 -> 5 (165)
        assertEquals(224 + 1_168 + 8_224 + 165, cnn.numParams());
        MultiLayerNetwork mlp = new MultiLayerNetwork(new Student.Preset("mlp-small").configuration(COLOUR, 1, 0.01));
        mlp.init();
        assertEquals(new ClassifierShape(new InputShape.Vector(768), 5), ClassifierShape.of(Network.of(mlp)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Student.Preset("cnn-small")
                .configuration(new ClassifierShape(new InputShape.Image(1, 3, 8), 2), 1, 0.01));
        assertEquals("student 'cnn-small' needs images of at least 4x4, the teacher reads 1x3x8", e.getMessage());
    }

    @Test
    void aStudentFileIsReadAndCheckedAgainstTheTeacher(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("student.json");
        Files.writeString(file, StudentPresets.build("cnn-small", new int[] {4, 4, 8}, 1, 0.01, null, COLOUR).toJson());
        Student s = Student.parse(file.toString());
        Student.Configuration c = assertInstanceOf(Student.Configuration.class, s);
        assertEquals("student.json", c.name());
        assertEquals(c.configuration().toJson(), c.configuration(COLOUR).toJson());

        ClassifierShape fiveClassesOfGrey = new ClassifierShape(new InputShape.Image(1, 16, 16), 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.configuration(fiveClassesOfGrey));
        assertEquals("student student.json reads 3x16x16 images, predicts 5 classes, but the teacher reads 1x16x16 "
                + "images, predicts 5 classes", e.getMessage());
        Path flat = dir.resolve("flat.json");
        Files.writeString(flat, StudentPresets.build("mlp-small", new int[] {16}, 1, 0.01, null,
                new ClassifierShape(new InputShape.Vector(768), 5)).toJson());
        Student.Configuration mlp = (Student.Configuration) Student.parse(flat.toString());
        assertEquals(mlp.configuration().toJson(), mlp.configuration(COLOUR).toJson(), "images read as flat vectors");
        ClassifierShape tenClasses = new ClassifierShape(new InputShape.Image(3, 16, 16), 10);
        e = assertThrows(IllegalArgumentException.class, () -> c.configuration(tenClasses));
        assertTrue(e.getMessage().endsWith("predicts 5 classes, but the teacher reads 3x16x16 images, predicts 10 "
                + "classes"), e.getMessage());
    }

    @Test
    void aFileThatIsNoStudentIsRefusedNamingIt(@TempDir Path dir) throws Exception {
        Path garbage = dir.resolve("garbage.json");
        Files.writeString(garbage, "{\"confs\": 42}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Student.parse(garbage.toString()));
        assertTrue(e.getMessage().startsWith("student " + garbage + " is not a DL4J MultiLayerConfiguration: "),
                e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());

        Path graph = dir.resolve("graph.json");
        Files.writeString(graph, GraphExportTest.residualGraph(false, false, 1).getConfiguration().toJson());
        e = assertThrows(IllegalArgumentException.class, () -> Student.parse(graph.toString()));
        assertEquals("student " + graph + " is a ComputationGraph configuration; a student is a MultiLayerConfiguration "
                + "(use --student none to export a graph teacher as it is)", e.getMessage());

        Path logits = dir.resolve("logits.json");
        Files.writeString(logits, TestNets.stack(new InputShape.Vector(30), java.util.List.of(), 2, true, 1)
                .getLayerWiseConfigurations().toJson());
        e = assertThrows(IllegalArgumentException.class, () -> Student.parse(logits.toString()));
        assertTrue(e.getMessage().startsWith("student logits.json must end in an OutputLayer with softmax activation"),
                e.getMessage());

        Path huge = dir.resolve("huge.json");
        try (RandomAccessFile f = new RandomAccessFile(huge.toFile(), "rw")) {
            f.setLength(Student.MAX_CONFIG_BYTES + 1L);
        }
        e = assertThrows(IllegalArgumentException.class, () -> Student.parse(huge.toString()));
        assertEquals("student " + huge + " has " + (Student.MAX_CONFIG_BYTES + 1) + " bytes; a configuration file has "
                + "at most " + Student.MAX_CONFIG_BYTES, e.getMessage());
        Path atTheBound = dir.resolve("bound.json");
        Files.writeString(atTheBound, ModelPresets.mlp(1, 0.1).toJson());
        try (RandomAccessFile f = new RandomAccessFile(atTheBound.toFile(), "rw")) {
            f.setLength(Student.MAX_CONFIG_BYTES); // padded to the bound: still read (the JSON parser stops after it)
        }
        assertInstanceOf(Student.Configuration.class, Student.parse(atTheBound.toString()));
    }
}
