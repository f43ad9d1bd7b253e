package io.fedge.coordinator;

import com.google.protobuf.ByteString;
import io.fedge.aggregation.FitAggregation;
import io.fedge.aggregation.FitInstructions;
import io.fedge.aggregation.FitResult;
import io.fedge.aggregation.UpdateChunks;
import io.fedge.comm.crypto.UpdateSealer;
import io.fedge.comm.proto.TrainResult;
import io.fedge.comm.proto.TransferHeader;
import io.fedge.compression.Fp32Codec;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ActiveRoundTest {
    private static final int PARAMS = 10;
    private static final int MAX_CHUNK_ELEMENTS = 4;

    /** Records what reaches the strategy, chunk by chunk. */
    private static class RecordingAggregation implements FitAggregation {
        final List<float[]> folded = new ArrayList<>();

        @Override
        public void accept(FitResult result, UpdateChunks delta) {
            float[] whole = new float[PARAMS];
            delta.forEach((offset, values, length) -> System.arraycopy(values, 0, whole, offset, length));
            folded.add(whole);
        }

        @Override
        public int accepted() {
            return folded.size();
        }

        @Override
        public Optional<float[]> finish(List<io.fedge.aggregation.Failure> failures) {
            return Optional.empty();
        }
    }

    private final RecordingAggregation aggregation = new RecordingAggregation();
    private final ActiveRound round = new ActiveRound(3, 5, new FitInstructions(1, 32, 0.1, Fp32Codec.NAME),
            new Fp32Codec(), PARAMS, MAX_CHUNK_ELEMENTS, Long.MAX_VALUE, List.of("a", "b"), aggregation,
            new RoundListener() { }, null, null);

    private long nextTransferId = 1;

    /** An announcement with a transfer id of its own: the round refuses any transfer id twice. */
    private TrainResult result(long round, long version, int perChunk, int chunks) {
        return result(nextTransferId++, round, version, perChunk, chunks);
    }

    private static TrainResult result(long transferId, long round, long version, int perChunk, int chunks) {
        return TrainResult.newBuilder()
                .setRound(round).setModelVersion(version).setNumExamples(10).setLoss(0.5)
                .setCodec(Fp32Codec.NAME)
                .setUpdate(TransferHeader.newBuilder().setTransferId(transferId).setTotalLength(4L * PARAMS)
                        .setChunkCount(chunks).setElementsPerChunk(perChunk).setElementCount(PARAMS)
                        .setSha256(ByteString.copyFrom(new byte[32])))
                .build();
    }

    private static ErrorCode refusal(Runnable r) {
        return assertThrows(FedgeException.class, r::run).code();
    }

    private static List<ByteString> fp32Chunks(float[] values, int perChunk) {
        List<ByteString> chunks = new ArrayList<>();
        for (int from = 0; from < values.length; from += perChunk) {
            int n = Math.min(perChunk, values.length - from);
            ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                b.putFloat(values[from + i]);
            }
            chunks.add(ByteString.copyFrom(b.array()));
        }
        return chunks;
    }

    @Test
    void refusesAnnouncementsThatDoNotFitTheRound() {
        assertEquals(ErrorCode.WRONG_ROUND, refusal(() -> round.announce("a", result(4, 5, 4, 3))));
        assertEquals(ErrorCode.STALE_MODEL, refusal(() -> round.announce("a", result(3, 4, 4, 3))));
        assertEquals(ErrorCode.UNEXPECTED_MESSAGE, refusal(() -> round.announce("zed", result(3, 5, 4, 3))));
        // 10 parameters at 4 a chunk are 3 chunks, not 2.
        assertEquals(ErrorCode.MALFORMED, refusal(() -> round.announce("a", result(3, 5, 4, 2))));
    }

    @Test
    void refusesChunksLargerThanTheCoordinatorAskedFor() {
        // One chunk of all 10 parameters would make the coordinator decode 10 at once; it allows 4.
        FedgeException e = assertThrows(FedgeException.class, () -> round.announce("a", result(3, 5, 10, 1)));
        assertEquals(ErrorCode.MALFORMED, e.code());
        assertTrue(e.getMessage().contains("[1, 4]"), e.getMessage());
    }

    @Test
    void aRefusedAnnouncementLeavesTheClientFreeToAnnounceAgainUnderANewTransferId() {
        assertEquals(ErrorCode.MALFORMED, refusal(() -> round.announce("a", result(7, 3, 5, 10, 1))));
        // The same transfer id again is a replay, even with a valid header.
        assertEquals(ErrorCode.DUPLICATE_RESULT, refusal(() -> round.announce("a", result(7, 3, 5, 4, 3))));
        round.announce("a", result(8, 3, 5, 4, 3));
        assertEquals(ErrorCode.DUPLICATE_RESULT, refusal(() -> round.announce("a", result(9, 3, 5, 4, 3))));
    }

    @Test
    void foldsTheDecodedUpdateChunkByChunk() {
        float[] update = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        TrainResult r = result(3, 5, 4, 3);
        round.announce("b", r);
        round.uploaded("b");
        round.fold("b", r, fp32Chunks(update, 4));
        assertEquals(1, aggregation.accepted());
        assertArrayEquals(update, aggregation.folded.get(0));
    }

    @Test
    void aNonFiniteValueInTheLastChunkKeepsTheWholeUpdateOut() {
        float[] update = {1, 2, 3, 4, 5, 6, 7, 8, 9, Float.NaN};
        TrainResult r = result(3, 5, 4, 3);
        round.announce("b", r);
        round.uploaded("b");
        assertEquals(ErrorCode.NON_FINITE, refusal(() -> round.fold("b", r, fp32Chunks(update, 4))));
        assertEquals(0, aggregation.accepted());
    }

    @Test
    void aSealedUpdateIsOpenedAndFoldedAndATamperedOneIsRefusedWhole() {
        KeyPair keys = UpdateSealer.newKeyPair();
        RecordingAggregation sealedAggregation = new RecordingAggregation();
        ActiveRound sealed = new ActiveRound(3, 5, new FitInstructions(1, 32, 0.1, Fp32Codec.NAME), new Fp32Codec(),
                PARAMS, MAX_CHUNK_ELEMENTS, Long.MAX_VALUE, List.of("a", "b"), sealedAggregation,
                new RoundListener() { }, keys, null);
        float[] update = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

        // Unsealed announcements are refused in a round that publishes a key.
        assertEquals(ErrorCode.MALFORMED, refusal(() -> sealed.announce("a", result(3, 5, 4, 3))));

        for (String id : List.of("a", "b")) {
            long transferId = 100 + id.charAt(0);
            UpdateSealer.Sealing s = UpdateSealer.seal(keys.getPublic(), 3, id,
                    transferId);
            List<ByteString> chunks = new ArrayList<>();
            List<ByteString> plain = fp32Chunks(update, 4);
            for (int seq = 0; seq < plain.size(); seq++) {
                chunks.add(ByteString.copyFrom(s.seal(seq, plain.get(seq).toByteArray())));
            }
            if (id.equals("b")) { // a relay flips one bit of the last chunk
                byte[] last = chunks.get(2).toByteArray();
                last[0] ^= 1;
                chunks.set(2, ByteString.copyFrom(last));
            }
            TrainResult base = result(transferId, 3, 5, 4, 3);
            TrainResult r = base.toBuilder().setUpdate(base.getUpdate().toBuilder().setTotalLength(4L * PARAMS + 3 * 16))
                    .setEphemeralPublicKey(ByteString.copyFrom(s.ephemeralPublicKey())).build();
            sealed.announce(id, r);
            sealed.uploaded(id);
            List<ByteString> opened = new ArrayList<>();
            if (id.equals("a")) {
                for (int seq = 0; seq < chunks.size(); seq++) {
                    opened.add(sealed.openChunk(id, seq, chunks.get(seq)));
                }
                sealed.fold(id, r, opened);
            } else {
                opened.add(sealed.openChunk(id, 0, chunks.get(0)));
                opened.add(sealed.openChunk(id, 1, chunks.get(1)));
                assertEquals(ErrorCode.DECRYPTION_FAILED, refusal(() -> sealed.openChunk(id, 2, chunks.get(2))));
                // Chunk 1 opened where chunk 0 belongs fails as well: chunks cannot be reordered.
                assertEquals(ErrorCode.DECRYPTION_FAILED, refusal(() -> sealed.openChunk(id, 0, chunks.get(1))));
            }
        }
        assertEquals(1, sealedAggregation.accepted(), "only the intact update");
        assertArrayEquals(update, sealedAggregation.folded.get(0));
    }

    /** Records the weight each folded update carried. */
    private static final class WeightRecording extends RecordingAggregation {
        final List<Long> weights = new ArrayList<>();

        @Override
        public void accept(FitResult result, UpdateChunks delta) {
            weights.add(result.numExamples());
            super.accept(result, delta);
        }
    }

    @Test
    void onlyAGatewaysUpdateMayAggregateDevicesAndEachDeviceIsBounded() {
        WeightRecording weights = new WeightRecording();
        ActiveRound r = new ActiveRound(3, 5, new FitInstructions(1, 32, 0.1, Fp32Codec.NAME), new Fp32Codec(),
                PARAMS, MAX_CHUNK_ELEMENTS, Long.MAX_VALUE, List.of("device", "gw"), weights,
                new RoundListener() { }, null, null);
        // device declared 10 examples; gw is a gateway: at most 100 devices of at most 1,000 examples each;
        // the round's weight cap (a share of what was declared) is 40
        r.limits(new ActiveRound.RoundLimits(java.util.Map.of("device", 10L), 40, Double.POSITIVE_INFINITY, 2,
                java.util.Set.of("gw"), 100, 1_000));
        TrainResult base = result(3, 5, 4, 3);
        FedgeException notGateway = assertThrows(FedgeException.class,
                () -> r.announce("device", base.toBuilder().setContributors(2).build()));
        assertEquals(ErrorCode.LIMIT_EXCEEDED, notGateway.code());
        assertTrue(notGateway.getMessage().contains("did not register as a gateway"), notGateway.getMessage());
        FedgeException tooMany = assertThrows(FedgeException.class, () -> r.announce("gw",
                result(3, 5, 4, 3).toBuilder().setContributors(101).setNumExamples(5_000).build()));
        assertEquals(ErrorCode.LIMIT_EXCEEDED, tooMany.code());
        assertTrue(tooMany.getMessage().contains("at most 100 per gateway"), tooMany.getMessage());
        FedgeException heavy = assertThrows(FedgeException.class, () -> r.announce("gw",
                result(3, 5, 4, 3).toBuilder().setContributors(3).setNumExamples(3_001).build()));
        assertEquals(ErrorCode.LIMIT_EXCEEDED, heavy.code());
        assertTrue(heavy.getMessage().contains("at most 1000 per device"), heavy.getMessage());
        assertEquals(ErrorCode.MALFORMED, refusal(() -> r.announce("gw",
                result(3, 5, 4, 3).toBuilder().setContributors(3).setNumExamples(2).build())));

        // 3 devices with 3,000 examples: the gateway's weight is its devices', not the round's share cap of 40
        TrainResult gw = result(3, 5, 4, 3).toBuilder().setContributors(3).setNumExamples(3_000).build();
        r.announce("gw", gw);
        r.uploaded("gw");
        r.fold("gw", gw, fp32Chunks(new float[PARAMS], 4));
        // a device's claim is capped by the share cap as before
        TrainResult device = result(3, 5, 4, 3).toBuilder().setNumExamples(10).build();
        r.announce("device", device);
        r.uploaded("device");
        r.fold("device", device, fp32Chunks(new float[PARAMS], 4));
        assertEquals(List.of(3_000L, 10L), weights.weights);
        assertEquals(4, r.devices(), "three devices behind the gateway, one on its own");
    }
}
