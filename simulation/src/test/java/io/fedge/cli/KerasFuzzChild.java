package io.fedge.cli;

import io.fedge.core.model.InputShape;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * The process {@link KerasModelFileFuzzTest} runs mutants in: HDF5 is a C library, so a mutant
 * that crashed it would end this process, not the test's JVM, and the test names the mutant.
 * Arguments: the valid file, a folder for mutants, the first seed, the number of mutants. Prints
 * one line per mutant before it is read ({@code try SEED}) and one after ({@code ok}, {@code
 * refused} or {@code ESCAPED} with the exception).
 */
public final class KerasFuzzChild {
    private KerasFuzzChild() {
    }

    public static void main(String[] args) throws Exception {
        byte[] valid = Files.readAllBytes(Path.of(args[0]));
        Path dir = Path.of(args[1]);
        long first = Long.parseLong(args[2]);
        int count = Integer.parseInt(args[3]);
        for (long seed = first; seed < first + count; seed++) {
            Path mutant = dir.resolve("mutant-" + seed + ".h5");
            Files.write(mutant, mutate(valid, new Random(seed)));
            System.out.println("try " + seed);
            System.out.flush();
            try {
                KerasModelFile source = KerasModelFile.read(mutant);
                source.initialModel(InputShape.FASHION_MNIST, 10, 1, 0.05);
                System.out.println("ok " + seed);
            } catch (IllegalArgumentException e) {
                boolean oneLine = !e.getMessage().contains("\n") && e.getMessage().startsWith("Keras model " + mutant);
                System.out.println((oneLine ? "refused " : "ESCAPED not one line naming the file: ") + seed + " "
                        + e.getMessage().replace('\n', '|'));
            } catch (Throwable t) {
                System.out.println("ESCAPED " + seed + " " + t);
            }
            Files.delete(mutant);
        }
        System.out.println("done");
    }

    /** 1 to 4 damages: bytes flipped (half of them in the first 4 KiB, where HDF5's superblock and object headers are), a run of bytes inserted or deleted, or the file cut. */
    static byte[] mutate(byte[] valid, Random r) {
        byte[] b = valid.clone();
        int damages = 1 + r.nextInt(4);
        for (int d = 0; d < damages; d++) {
            int kind = r.nextInt(10);
            if (kind < 7) {
                int at = r.nextBoolean() ? r.nextInt(Math.min(4096, b.length)) : r.nextInt(b.length);
                b[at] ^= (byte) (1 << r.nextInt(8));
                if (r.nextInt(4) == 0) {
                    b[at] = (byte) r.nextInt(256);
                }
            } else if (kind == 7) {
                int at = r.nextInt(b.length);
                byte[] run = new byte[1 + r.nextInt(16)];
                r.nextBytes(run);
                byte[] c = new byte[b.length + run.length];
                System.arraycopy(b, 0, c, 0, at);
                System.arraycopy(run, 0, c, at, run.length);
                System.arraycopy(b, at, c, at + run.length, b.length - at);
                b = c;
            } else if (kind == 8 && b.length > 64) {
                int at = r.nextInt(b.length - 32);
                int len = 1 + r.nextInt(16);
                byte[] c = new byte[b.length - len];
                System.arraycopy(b, 0, c, 0, at);
                System.arraycopy(b, at + len, c, at, b.length - at - len);
                b = c;
            } else {
                b = java.util.Arrays.copyOf(b, 8 + r.nextInt(b.length - 8));
            }
        }
        return b;
    }
}
