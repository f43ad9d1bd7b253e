package org.nd4j.nativeblas;

import java.lang.reflect.Method;

/**
 * A bridge that lets DL4J 1.0.0-M2.1 find oneDNN. Not fedge API.
 *
 * <p>DL4J's {@code BaseMKLDNNHelper.mklDnnEnabled()} asks, by reflection, for
 * {@code org.nd4j.nativeblas.Nd4jCpu$Environment.getInstance().isUseMKLDNN()}: the class and method
 * names of ND4J before 1.0.0-M2. In M2.1 they are {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment}
 * and {@code isUseONEDNN()}, so the check always fails and {@code ConvolutionLayer} and
 * {@code SubsamplingLayer} fall back to DL4J's im2col path even on a oneDNN build of libnd4j: five
 * times slower for fedge's {@code cnn} (docs/benchmarks.md). This class answers the old lookup with
 * the new one. On a backend without oneDNN (CUDA, a plain CPU build) it answers {@code false} and
 * DL4J keeps its built-in layers.
 */
public final class Nd4jCpu {
    private Nd4jCpu() {
    }

    /** The environment as DL4J's helper check expects to find it. */
    public static final class Environment {
        private static final Environment INSTANCE = new Environment();

        private Environment() {
        }

        /** The one instance. */
        public static Environment getInstance() {
            return INSTANCE;
        }

        /** Whether the loaded libnd4j was built with oneDNN and has it switched on. */
        public boolean isUseMKLDNN() {
            try {
                Class<?> cpu = Class.forName("org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment");
                Object env = cpu.getMethod("getInstance").invoke(null);
                Method useOneDnn = cpu.getMethod("isUseONEDNN");
                return (Boolean) useOneDnn.invoke(env);
            } catch (ReflectiveOperationException | LinkageError e) {
                return false;
            }
        }
    }
}
