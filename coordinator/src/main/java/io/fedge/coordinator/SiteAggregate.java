package io.fedge.coordinator;

import io.fedge.aggregation.Failure;

import java.util.List;
import java.util.Objects;

/**
 * A site round's partial aggregate: what a gateway sends upstream instead of its devices' updates.
 * {@code meanDelta} times {@code examples} is the weighted sum of the accepted updates, so the
 * coordinator folding several such means, each weighted by its examples, computes the mean over
 * every device (docs/gateways.md).
 *
 * @param round the upstream round
 * @param modelVersion the model the devices trained from
 * @param meanDelta the example-weighted mean of the accepted updates (after the site's clipping)
 * @param examples the weight behind it: the accepted updates' examples, as capped by the site's bounds
 * @param devices how many devices' updates it aggregates
 * @param selected how many devices the site round selected
 * @param meanLoss the example-weighted mean training loss the devices reported
 * @param failures the selected devices that did not count, and why
 */
public record SiteAggregate(long round, long modelVersion, float[] meanDelta, long examples, long devices,
                            int selected, double meanLoss, List<Failure> failures) {
    public SiteAggregate {
        Objects.requireNonNull(meanDelta, "meanDelta");
        failures = List.copyOf(failures);
        if (examples <= 0 || devices <= 0) {
            throw new IllegalArgumentException("an aggregate needs examples and devices: " + examples + ", " + devices);
        }
    }
}
