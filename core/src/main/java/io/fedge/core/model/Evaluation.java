package io.fedge.core.model;

/**
 * Accuracy and mean loss of a model on some examples.
 *
 * @param examples how many examples were evaluated
 * @param accuracy the fraction classified correctly, in [0, 1]
 * @param loss the mean cross-entropy per example
 */
public record Evaluation(long examples, double accuracy, double loss) {
    public Evaluation {
        if (examples < 0) {
            throw new IllegalArgumentException("examples must be non-negative: " + examples);
        }
    }
}
