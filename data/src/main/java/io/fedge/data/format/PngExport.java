package io.fedge.data.format;

import io.fedge.core.model.InputShape;
import io.fedge.data.Examples;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Writes 8-bit image examples as PNG files in the layout {@link ImageFolders} reads:
 * {@code ROOT/<class>/<index>.png}, the class folder named by the class's index and the file by the
 * example's, both zero-padded to a common width, so that the folders' sorted names are the class
 * order and the files' names the example order. Read back, the images are the same bytes in the
 * same order with the same class indices: a model trained on either sees the same floats. Grey
 * images are 8-bit grey PNGs, three-channel ones 8-bit RGB. Stateless.
 */
public final class PngExport {
    private PngExport() {
    }

    /**
     * Writes every example of {@code examples} under {@code root}, which is created.
     *
     * @return the number of files written
     * @throws IllegalArgumentException if the examples are not 8-bit images of 1 or 3 channels, or not a classification
     * @throws IOException if a file cannot be written
     */
    public static int write(Examples examples, Path root) throws IOException {
        if (!examples.byteFeatures() || !(examples.shape() instanceof InputShape.Image img)
                || img.channels() != 1 && img.channels() != 3) {
            throw new IllegalArgumentException("PNG export writes 8-bit images of 1 or 3 channels, not "
                    + examples.shape() + (examples.byteFeatures() ? "" : " floats"));
        }
        int[] labels = examples.classLabels().labels();
        int classes = examples.outputs();
        String classFormat = "%0" + Integer.toString(Math.max(0, classes - 1)).length() + "d";
        String fileFormat = "%0" + Integer.toString(Math.max(0, examples.size() - 1)).length() + "d.png";
        List<Path> folders = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            Path folder = root.resolve(String.format(java.util.Locale.ROOT, classFormat, c));
            Files.createDirectories(folder);
            folders.add(folder);
        }
        try {
            IntStream.range(0, examples.size()).parallel().forEach(i -> {
                Path file = folders.get(labels[i]).resolve(String.format(java.util.Locale.ROOT, fileFormat, i));
                try {
                    if (!ImageIO.write(image(examples, i, img), "png", file.toFile())) {
                        throw new IOException("no PNG writer for " + file);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return examples.size();
    }

    private static BufferedImage image(Examples examples, int i, InputShape.Image shape) {
        int w = shape.width();
        int h = shape.height();
        int plane = w * h;
        BufferedImage out = new BufferedImage(w, h, shape.channels() == 1 ? BufferedImage.TYPE_BYTE_GRAY
                : BufferedImage.TYPE_3BYTE_BGR);
        WritableRaster raster = out.getRaster();
        int[] samples = new int[plane];
        for (int ch = 0; ch < shape.channels(); ch++) {
            for (int p = 0; p < plane; p++) {
                samples[p] = examples.byteFeature(i, ch * plane + p);
            }
            raster.setSamples(0, 0, w, h, ch, samples);
        }
        return out;
    }
}
