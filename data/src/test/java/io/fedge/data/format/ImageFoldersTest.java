package io.fedge.data.format;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.fedge.core.model.InputShape;
import io.fedge.data.Examples;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import static io.fedge.data.format.TestFiles.grey;
import static io.fedge.data.format.TestFiles.image;
import static io.fedge.data.format.TestFiles.rgb;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageFoldersTest {
    @TempDir
    Path root;

    private static FedgeException malformed(Path root, Integer channels) {
        FedgeException e = assertThrows(FedgeException.class, () -> ImageFolders.read(root, channels));
        assertEquals(ErrorCode.MALFORMED, e.code());
        return e;
    }

    @Test
    void classesAreSortedFolderNamesAndExamplesFollowTheFileNames() throws IOException {
        // numbered as an export of a source data set numbers them: 0 (cat), 1 (dog), 2 (cat), 10 (ant)
        image(root.resolve("cat/0.png"), grey(3, 2, 0), "png");
        image(root.resolve("dog/1.png"), grey(3, 2, 1), "png");
        image(root.resolve("cat/2.png"), grey(3, 2, 2), "png");
        image(root.resolve("ant/10.png"), grey(3, 2, 10), "png");
        Examples e = ImageFolders.read(root, null);
        assertEquals(List.of("ant", "cat", "dog"), e.outputNames());
        assertEquals(new InputShape.Image(1, 2, 3), e.shape());
        assertArrayEquals(new int[] {1, 2, 1, 0}, e.classLabels().labels()); // 0, 1, 2, 10 in natural order
        // example 3 is 10.png: pixel (x=2, y=1) = 10 + 14 + 13
        assertEquals(37, e.byteFeature(3, 1 * 3 + 2));
        assertEquals(37 / 255f, e.feature(3, 5), 0f);
        assertFalse(e.clients().isPresent());
    }

    @Test
    void numericClassFoldersSortAsNumbers() throws IOException {
        for (String c : new String[] {"10", "2", "1"}) {
            image(root.resolve(c).resolve("a.png"), grey(1, 1, c.length()), "png");
        }
        assertEquals(List.of("1", "2", "10"), ImageFolders.read(root, null).outputNames());
    }

    @Test
    void colourImagesAreThreeChannelFirstPlanesOrGreyOnRequest() throws IOException {
        BufferedImage img = rgb(2, 2, 40);
        image(root.resolve("a/x.png"), img, "png");
        image(root.resolve("b/y.bmp"), rgb(2, 2, 90), "bmp");
        Examples e = ImageFolders.read(root, null);
        assertEquals(new InputShape.Image(3, 2, 2), e.shape());
        int pixel = 1 * 2 + 1; // (x=1, y=1)
        int r = 41;
        int g = 2;
        int b = 215;
        assertEquals(r, e.byteFeature(0, pixel));
        assertEquals(g, e.byteFeature(0, 4 + pixel));
        assertEquals(b, e.byteFeature(0, 8 + pixel));
        Examples grey = ImageFolders.read(root, 1);
        assertEquals(new InputShape.Image(1, 2, 2), grey.shape());
        assertEquals((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16, grey.byteFeature(0, pixel)); // Pillow's "L"
    }

    @Test
    void greyImagesRepeatTheirValueInThreeChannels() throws IOException {
        image(root.resolve("a/1.png"), grey(2, 2, 5), "png");
        image(root.resolve("b/2.gif"), grey(2, 2, 9), "gif");
        image(root.resolve("b/3.jpg"), grey(2, 2, 9), "jpg");
        Examples e = ImageFolders.read(root, 3);
        assertEquals(new InputShape.Image(3, 2, 2), e.shape());
        for (int ch = 0; ch < 3; ch++) {
            assertEquals(5 + 7 + 13, e.byteFeature(0, ch * 4 + 3));
        }
        assertEquals(3, e.size());
    }

    @Test
    void aClientLevelAboveTheClassesIsTheNaturalPartition() throws IOException {
        image(root.resolve("u2/cat/a.png"), grey(1, 1, 1), "png");
        image(root.resolve("u10/dog/b.png"), grey(1, 1, 2), "png");
        image(root.resolve("u10/cat/c.png"), grey(1, 1, 3), "png");
        Examples e = ImageFolders.read(root, null);
        assertEquals(List.of("cat", "dog"), e.outputNames());
        assertEquals(List.of("u10", "u2"), e.clients().orElseThrow().ids());
        assertArrayEquals(new int[] {0, 1, 0}, e.classLabels().labels()); // a, b, c
        assertEquals(List.of(1, 0, 0), List.of(e.clients().get().client(0), e.clients().get().client(1),
                e.clients().get().client(2)));
    }

    @Test
    void theFirstImageOfAnotherSizeIsNamed() throws IOException {
        image(root.resolve("a/1.png"), grey(4, 4, 0), "png");
        image(root.resolve("a/2.png"), grey(4, 4, 0), "png");
        Path odd = image(root.resolve("b/3.png"), grey(5, 4, 0), "png");
        image(root.resolve("b/4.png"), grey(3, 3, 0), "png");
        FedgeException e = malformed(root, null);
        assertTrue(e.getMessage().startsWith(odd + ": 5x4 pixels, but the first image, " + root.resolve("a/1.png")
                + ", is 4x4"), e.getMessage());
    }

    @Test
    void anUndecodableImageIsNamed() throws IOException {
        image(root.resolve("a/1.png"), grey(2, 2, 0), "png");
        Path broken = TestFiles.write(root.resolve("a/2.png"), "not a png at all");
        assertTrue(malformed(root, null).getMessage().startsWith(broken + ": "));
        Files.delete(broken);
        byte[] png = Files.readAllBytes(root.resolve("a/1.png"));
        Path cut = TestFiles.write(root.resolve("a/3.png"), java.util.Arrays.copyOf(png, png.length / 2));
        assertTrue(malformed(root, null).getMessage().startsWith(cut + ": "));
    }

    @Test
    void aHeaderClaimingAHugeImageIsRefusedBeforeDecoding() throws IOException {
        // a PNG signature and an IHDR chunk of 100,000 x 100,000 pixels, and nothing else
        ByteBuffer b = ByteBuffer.allocate(8 + 25);
        b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        b.putInt(13).put("IHDR".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(100_000).putInt(100_000)
                .put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b.array(), 12, 17);
        b.putInt((int) crc.getValue());
        Path huge = TestFiles.write(root.resolve("a/huge.png"), b.array());
        FedgeException e = malformed(root, null);
        assertTrue(e.getMessage().startsWith(huge + ": 100000x100000 pixels, at most"), e.getMessage());
    }

    @Test
    void layoutMistakesAreNamed() throws IOException {
        assertTrue(malformed(root, null).getMessage().contains("no class folders"));
        Path loose = image(root.resolve("x.png"), grey(1, 1, 0), "png");
        image(root.resolve("a/1.png"), grey(1, 1, 0), "png");
        assertTrue(malformed(root, null).getMessage().startsWith(loose + ": an image outside a class folder"));
        Files.delete(loose);
        Files.createDirectories(root.resolve("b/deeper"));
        assertTrue(malformed(root, null).getMessage().contains("a folder below a class folder"));
        Path file = TestFiles.write(root.resolve("plain"), "x");
        assertTrue(assertThrows(FedgeException.class, () -> ImageFolders.read(file, null)).getMessage()
                .contains("not a folder"));
        assertThrows(NoSuchFileException.class, () -> ImageFolders.read(root.resolve("absent"), null));
        assertThrows(IllegalArgumentException.class, () -> ImageFolders.read(root, 2));
    }

    @Test
    void foldersWithoutImagesAreRefusedAndOtherFilesSkipped() throws IOException {
        TestFiles.write(root.resolve("a/readme.txt"), "notes");
        TestFiles.write(root.resolve("a/.DS_Store"), "x");
        assertTrue(malformed(root, null).getMessage().contains("no images"));
        image(root.resolve("a/1.PNG"), grey(1, 1, 4), "png");
        assertEquals(1, ImageFolders.read(root, null).size());
    }
}
