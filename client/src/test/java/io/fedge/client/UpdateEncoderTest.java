package io.fedge.client;

import io.fedge.comm.OutgoingTransfer;
import io.fedge.compression.Fp32Codec;
import io.fedge.comm.proto.TransferHeader;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class UpdateEncoderTest {
    private final Fp32Codec fp32 = new Fp32Codec();

    @Test
    void chunksAreBoundedByBytesWhenTheElementLimitIsLarger() {
        // fp32 takes 4 bytes a value: 1,000 bytes hold 250 values.
        assertEquals(250, UpdateEncoder.elementsPerChunk(fp32, 1000, Integer.MAX_VALUE, 10_000));
    }

    @Test
    void chunksAreBoundedByTheCoordinatorsElementLimit() {
        assertEquals(100, UpdateEncoder.elementsPerChunk(fp32, 1000, 100, 10_000));
    }

    @Test
    void aSmallUpdateIsOneChunk() {
        assertEquals(30, UpdateEncoder.elementsPerChunk(fp32, 1 << 20, 16_384, 30));
    }

    @Test
    void theHeaderDescribesTheChunking() {
        float[] update = new float[1001];
        OutgoingTransfer t = UpdateEncoder.encode(7, update, fp32, 1 << 20, 100);
        try {
            TransferHeader h = t.header();
            assertEquals(7, h.getTransferId());
            assertEquals(100, h.getElementsPerChunk());
            assertEquals(11, h.getChunkCount()); // ten chunks of 100 and one of 1
            assertEquals(1001, h.getElementCount());
            assertEquals(4 * 1001, h.getTotalLength());
        } finally {
            t.release();
        }
    }
}
