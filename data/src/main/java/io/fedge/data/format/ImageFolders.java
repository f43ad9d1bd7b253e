package io.fedge.data.format;

import io.fedge.core.model.InputShape;
import io.fedge.data.ClassLabels;
import io.fedge.data.Examples;
import io.fedge.data.Names;
import io.fedge.data.NaturalClients;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Reads a folder of labelled images with the JDK's {@code javax.imageio} (PNG, JPEG, BMP, GIF; no
 * native library): {@code ROOT/<class>/<file>}, one folder per class, or
 * {@code ROOT/<client>/<class>/<file>}, a folder per client above them (the natural partition of
 * LEAF-style data sets). The layout is read from the tree: every file at depth two, or every file
 * at depth three.
 *
 * <ul>
 *   <li>Classes are the class folders' names, sorted ({@link Names#sorted}: numerically when every
 *       name is an integer); clients likewise.</li>
 *   <li>Examples are ordered by file name in {@link Names#NATURAL_ORDER} across the whole tree, ties
 *       by class then client folder: images numbered in the order of a source data set (as
 *       {@code fedge data export-png} writes them) come back in that order.</li>
 *   <li>Every image must have the size of the first; the first that differs is named. Pixels are
 *       8-bit and kept as bytes, channel-first. {@code channels} 1 reads grey (a colour image becomes
 *       {@code (19595 R + 38470 G + 7471 B + 2^15) >> 16}, Pillow's {@code convert("L")}), 3 reads RGB
 *       (a grey image repeats its value); null takes 1 if the first image is grey, 3 otherwise.
 *       Alpha is dropped; 16-bit samples are scaled to 8 bits.</li>
 *   <li>Files whose names end in {@code .png}, {@code .jpg}, {@code .jpeg}, {@code .bmp} or
 *       {@code .gif} (any case) are images; hidden files and others are skipped. An image file
 *       ImageIO cannot decode is named.</li>
 * </ul>
 * Images are decoded in parallel; the result does not depend on the thread count. Stateless.
 */
public final class ImageFolders {
    /** The file name endings read as images. */
    public static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif");
    /** The most pixels one image may have (4096 x 4096), checked from its header before it is decoded. */
    public static final long MAX_PIXELS = 1L << 24;

    private ImageFolders() {
    }

    private record Entry(Path file, String name, int classIndex, int clientIndex) {
    }

    /**
     * Reads the images under {@code root}.
     *
     * @param channels 1 (grey), 3 (RGB), or null to take the first image's
     * @throws NoSuchFileException if {@code root} is not there
     * @throws IOException if a folder cannot be listed
     * @throws io.fedge.core.FedgeException ({@code MALFORMED}) naming the file or folder when the tree
     *     has no images or a mixed layout, an image cannot be decoded, or its size differs from the first's
     * @throws IllegalArgumentException if {@code channels} is not 1, 3 or null
     */
    public static Examples read(Path root, Integer channels) throws IOException {
        if (channels != null && channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB): " + channels);
        }
        if (!Files.exists(root)) {
            throw new NoSuchFileException(root.toString());
        }
        if (!Files.isDirectory(root)) {
            throw Malformed.of(root, "not a folder; image data is a folder ROOT/<class>/<image> or "
                    + "ROOT/<client>/<class>/<image>");
        }
        List<Path> top = subfolders(root);
        if (top.isEmpty()) {
            throw Malformed.of(root, "no class folders; expected ROOT/<class>/<image> or ROOT/<client>/<class>/<image>");
        }
        boolean clientLayout = !subfolders(top.get(0)).isEmpty();
        List<String> clientNames = new ArrayList<>();
        Map<String, List<Path>> classFolders = new HashMap<>();
        List<String> classNames = new ArrayList<>();
        if (clientLayout) {
            for (Path client : top) {
                clientNames.add(name(client));
                List<Path> classes = subfolders(client);
                if (classes.isEmpty()) {
                    throw Malformed.of(client, "no class folders, but " + top.get(0) + " has them: every client "
                            + "folder needs ROOT/<client>/<class>/<image>");
                }
                for (Path c : classes) {
                    classFolders.computeIfAbsent(name(c), k -> new ArrayList<>()).add(c);
                }
                refuseLooseFiles(client, "client");
            }
        } else {
            for (Path c : top) {
                classFolders.computeIfAbsent(name(c), k -> new ArrayList<>()).add(c);
            }
        }
        refuseLooseFiles(root, clientLayout ? "client" : "class");
        classNames.addAll(Names.sorted(classFolders.keySet()));
        List<String> clientIds = clientLayout ? Names.sorted(clientNames) : List.of();
        List<Entry> entries = new ArrayList<>();
        for (int c = 0; c < classNames.size(); c++) {
            for (Path folder : classFolders.get(classNames.get(c))) {
                if (!subfolders(folder).isEmpty()) {
                    throw Malformed.of(subfolders(folder).get(0), "a folder below a class folder; expected "
                            + (clientLayout ? "ROOT/<client>/<class>/<image>" : "ROOT/<class>/<image>"));
                }
                int client = clientLayout ? clientIds.indexOf(name(folder.getParent())) : -1;
                for (Path f : images(folder)) {
                    entries.add(new Entry(f, name(f), c, client));
                }
            }
        }
        if (entries.isEmpty()) {
            throw Malformed.of(root, "no images (files ending in " + EXTENSIONS + ") in its class folders");
        }
        entries.sort(Comparator.comparing(Entry::name, Names.NATURAL_ORDER)
                .thenComparingInt(Entry::classIndex).thenComparingInt(Entry::clientIndex));
        return decode(entries, classNames, clientLayout ? clientIds : null, channels);
    }

    private static Examples decode(List<Entry> entries, List<String> classNames, List<String> clientIds,
                                   Integer channels) throws IOException {
        Path first = entries.get(0).file();
        BufferedImage firstImage = decodeChecked(first, -1, -1, null);
        int width = firstImage.getWidth();
        int height = firstImage.getHeight();
        int c = channels != null ? channels : isGrey(firstImage) ? 1 : 3;
        long perImage = (long) c * width * height;
        if (perImage * entries.size() > io.fedge.core.data.IdxReader.MAX_ELEMENTS) {
            throw Malformed.of(first.getParent().getParent(), entries.size() + " images of " + c + "x" + height + "x"
                    + width + " are more than " + io.fedge.core.data.IdxReader.MAX_ELEMENTS + " values");
        }
        byte[] pixels = new byte[(int) (perImage * entries.size())];
        int[] labels = new int[entries.size()];
        int[] clientOf = new int[entries.size()];
        RuntimeException[] failures = new RuntimeException[entries.size()];
        IOException[] ioFailures = new IOException[entries.size()];
        IntStream.range(0, entries.size()).parallel().forEach(i -> {
            Entry e = entries.get(i);
            labels[i] = e.classIndex();
            clientOf[i] = Math.max(0, e.clientIndex());
            try {
                BufferedImage img = i == 0 ? firstImage : decodeChecked(e.file(), width, height, first);
                writePixels(img, c, pixels, (int) (i * perImage));
            } catch (IOException ex) {
                ioFailures[i] = ex;
            } catch (RuntimeException ex) {
                failures[i] = ex;
            }
        });
        for (int i = 0; i < entries.size(); i++) {
            if (ioFailures[i] != null) {
                throw ioFailures[i];
            }
            if (failures[i] != null) {
                throw failures[i];
            }
        }
        InputShape shape = new InputShape.Image(c, height, width);
        NaturalClients clients = clientIds == null ? null : new NaturalClients(clientIds, clientOf);
        return Examples.ofBytes(shape, pixels, new ClassLabels(classNames, labels), clients);
    }

    /**
     * Decodes one image, after reading its size from the header: refused if larger than
     * {@link #MAX_PIXELS} or, when {@code width >= 0}, of another size than expected.
     */
    private static BufferedImage decodeChecked(Path file, int width, int height, Path first) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw Malformed.of(file, "cannot be opened as an image");
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw Malformed.of(file, "not an image ImageIO can read (PNG, JPEG, BMP or GIF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                if (w <= 0 || h <= 0 || (long) w * h > MAX_PIXELS) {
                    throw Malformed.of(file, w + "x" + h + " pixels, at most " + MAX_PIXELS + " per image");
                }
                if (width >= 0 && (w != width || h != height)) {
                    throw Malformed.of(file, w + "x" + h + " pixels, but the first image, " + first + ", is " + width
                            + "x" + height + "; every image must have the same size");
                }
                return reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof io.fedge.core.FedgeException f) {
                throw f;
            }
            if (e instanceof NoSuchFileException) {
                throw e;
            }
            throw Malformed.of(file, "cannot be decoded: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        }
    }

    private static boolean isGrey(BufferedImage img) {
        return img.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY;
    }

    /** The image's pixels as {@code channels} planes of 8-bit values, written at {@code offset}. */
    private static void writePixels(BufferedImage img, int channels, byte[] out, int offset) {
        int w = img.getWidth();
        int h = img.getHeight();
        int plane = w * h;
        if (isGrey(img)) {
            // the raster's own samples: getRGB would pass a grey value through the linear-grey colour space
            Raster raster = img.getRaster();
            int bits = img.getColorModel().getComponentSize(0);
            int[] samples = raster.getSamples(0, 0, w, h, 0, new int[plane]);
            int max = (1 << bits) - 1;
            for (int p = 0; p < plane; p++) {
                int v = bits == 8 ? samples[p] : (int) ((samples[p] * 255L + max / 2) / max);
                for (int ch = 0; ch < channels; ch++) {
                    out[offset + ch * plane + p] = (byte) v;
                }
            }
            return;
        }
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        for (int p = 0; p < plane; p++) {
            int r = (argb[p] >> 16) & 0xFF;
            int g = (argb[p] >> 8) & 0xFF;
            int b = argb[p] & 0xFF;
            if (channels == 1) {
                out[offset + p] = (byte) ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
            } else {
                out[offset + p] = (byte) r;
                out[offset + plane + p] = (byte) g;
                out[offset + 2 * plane + p] = (byte) b;
            }
        }
    }

    private static String name(Path p) {
        return p.getFileName().toString();
    }

    private static boolean hidden(Path p) {
        return name(p).startsWith(".");
    }

    private static List<Path> subfolders(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !hidden(p) && Files.isDirectory(p)).sorted(Comparator.comparing(ImageFolders::name))
                    .toList();
        }
    }

    private static List<Path> images(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !hidden(p) && Files.isRegularFile(p) && isImageName(name(p))).toList();
        }
    }

    private static boolean isImageName(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** Images lying where folders belong would be silently skipped; name the first instead. */
    private static void refuseLooseFiles(Path dir, String level) throws IOException {
        List<Path> loose = images(dir);
        if (!loose.isEmpty()) {
            throw Malformed.of(loose.stream().min(Comparator.comparing(ImageFolders::name)).get(), "an image outside a "
                    + "class folder; expected " + (level.equals("client") ? "ROOT/<client>/<class>/<image>"
                    : "ROOT/<class>/<image>"));
        }
    }
}
