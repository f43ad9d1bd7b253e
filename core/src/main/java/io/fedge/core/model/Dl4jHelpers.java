package io.fedge.core.model;

/**
 * Switches on DL4J's native layer helpers (oneDNN convolution and pooling on the CPU, cuDNN on
 * CUDA), which DL4J 1.0.0-M2.1 leaves off unless the system property
 * {@value #DISABLE_PROPERTY} is {@code false}. A value the user set explicitly is kept, so
 * {@code -Dorg.eclipse.deeplearning4j.helpers.disable=true} still turns them off.
 *
 * <p>DL4J reads the property whenever a layer is created; {@link Dl4jModels} calls
 * {@link #enable()} before it creates any network. Thread-safe and idempotent.
 */
public final class Dl4jHelpers {
    /** DL4J's switch: {@code true} (its default) keeps every layer on DL4J's built-in Java path. */
    public static final String DISABLE_PROPERTY = "org.eclipse.deeplearning4j.helpers.disable";

    private Dl4jHelpers() {
    }

    /** Turns the helpers on unless {@value #DISABLE_PROPERTY} was set by the user. */
    public static void enable() {
        synchronized (Dl4jHelpers.class) {
            if (System.getProperty(DISABLE_PROPERTY) == null) {
                System.setProperty(DISABLE_PROPERTY, "false");
            }
        }
    }
}
