package io.fedge.coordinator;

import io.fedge.aggregation.ClientInfo;
import io.fedge.aggregation.Strategy;
import io.fedge.comm.WireProtocol;
import io.fedge.core.CodecNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which connected clients a round may select: those that can take part (secure aggregation when
 * the federation uses it) and are not sitting out a missed deadline; when too few are left, the
 * ones sitting out get another chance. Clients that cannot encode one of the strategy's codecs are
 * logged once each (the strategy leaves them out itself).
 *
 * <p>Used by the round thread only.
 */
final class ClientEligibility {
    private static final Logger log = LoggerFactory.getLogger(ClientEligibility.class);

    private final CoordinatorState state;
    private final Strategy strategy;
    /**
     * Clients already told about, by id and codec, so each is logged once; bounded (least
     * recently added forgotten first), so a stream of new client ids cannot grow it without end.
     */
    private final Set<String> reportedIneligible = java.util.Collections.newSetFromMap(
            new LinkedHashMap<String, Boolean>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > 10_000;
                }
            });

    ClientEligibility(CoordinatorState state, Strategy strategy) {
        this.state = state;
        this.strategy = strategy;
    }

    /** The clients that may be selected for {@code round}. */
    List<ClientInfo> eligible(long round) {
        List<ClientInfo> connected = state.registry.available();
        if (state.secureAggregation != null) {
            connected = connected.stream().filter(c -> state.registry.get(c.id())
                    .map(s -> s.features().contains(WireProtocol.FEATURE_SECURE_AGGREGATION)).orElse(false)).toList();
        }
        for (String codec : strategy.codecs()) {
            for (ClientInfo c : connected) {
                if (!CodecNames.supportedBy(codec, c.codecs()) && reportedIneligible.add(c.id() + "\0" + codec)) {
                    log.info("client {} is not selected: it cannot encode codec '{}' (it has {})", c.id(), codec,
                            c.codecs());
                }
            }
        }
        List<ClientInfo> healthy = new ArrayList<>();
        for (ClientInfo c : connected) {
            if (state.health.eligible(c.id(), round)) {
                healthy.add(c);
            } else {
                log.debug("round {}: {} is not selected: {}", round, c.id(), state.health.whyNot(c.id(), round));
            }
        }
        if (healthy.size() < strategy.minAcceptedUpdates() && healthy.size() < connected.size()) {
            log.info("round {}: too few clients without missed deadlines ({}), giving the others another chance",
                    round, healthy.size());
            return connected;
        }
        return healthy;
    }
}
