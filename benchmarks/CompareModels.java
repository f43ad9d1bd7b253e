import io.fedge.core.model.ModelFile;

import java.nio.file.Path;

/**
 * Compares the parameters of two fedge model files (digests checked, signatures not): how many
 * differ and by how much at most. Run as a single-file program on the CLI's class path:
 * {@code java -cp "simulation/target/fedge.jar:simulation/target/lib/*" benchmarks/CompareModels.java A.fgm B.fgm}.
 */
public final class CompareModels {
    private CompareModels() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: CompareModels A.fgm B.fgm");
            System.exit(2);
        }
        float[] a = ModelFile.read(Path.of(args[0]), null).parameters();
        float[] b = ModelFile.read(Path.of(args[1]), null).parameters();
        if (a.length != b.length) {
            System.out.printf("different shapes: %d and %d parameters%n", a.length, b.length);
            System.exit(1);
        }
        int differ = 0;
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            if (d > 0) {
                differ++;
            }
            max = Math.max(max, d);
        }
        System.out.printf("%d parameters, %d differ, largest difference %.3g%n", a.length, differ, max);
    }
}
