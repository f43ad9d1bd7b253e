package io.fedge.compression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class CodecRegistryTest {
    /** A codec that only has a name; the registry never calls the rest. */
    private record Named(String name) implements UpdateCodec {
        @Override
        public int maxEncodedBytes(int elements) {
            throw new UnsupportedOperationException();
        }

        @Override
        public byte[] encode(float[] values, int offset, int length) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void decode(ByteBuffer encoded, float[] out, int outOffset, int length) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void onlyFp32AndZstdAreLossless() {
        CodecRegistry registry = CodecRegistry.defaultRegistry();
        for (String lossless : List.of("fp32", "fp32+zstd", "zstd", "fp32+zstd:level=9")) {
            assertFalse(registry.isLossy(lossless), lossless);
        }
        // fp16 and int8 round without wanting error feedback; top-k and sign want it
        for (String lossy : List.of("fp16", "int8", "int4:block=64", "int8+zstd", "sign", "topk:0.5", "topk:0.01+int8+zstd")) {
            assertTrue(registry.isLossy(lossy), lossy);
        }
        // a codec of the application's is lossy unless its name says fp32: the registry cannot look inside
        assertTrue(registry.with(new Named("exact-maybe")).isLossy("exact-maybe"));
        assertEquals(ErrorCode.UNSUPPORTED_CODEC, assertThrows(FedgeException.class, () -> registry.isLossy("nope")).code());
    }

    @Test
    void defaultRegistryHoldsEveryStage() {
        CodecRegistry registry = CodecRegistry.defaultRegistry();
        assertInstanceOf(Fp32Codec.class, registry.get("fp32"));
        assertTrue(registry.contains("fp32"));
        assertTrue(registry.contains("topk:0.01+int8+zstd"));
        assertEquals(List.of("fp16", "fp32", "int4", "int8", "sign", "topk", "zstd"), registry.names());
    }

    @Test
    void unknownNameIsUnsupportedCodec() {
        FedgeException e = assertThrows(FedgeException.class, () -> CodecRegistry.defaultRegistry().get("int3"));
        assertEquals(ErrorCode.UNSUPPORTED_CODEC, e.code());
        assertFalse(CodecRegistry.defaultRegistry().contains("int3"));
        // Names are exact.
        assertThrows(FedgeException.class, () -> CodecRegistry.defaultRegistry().get("FP32"));
    }

    @Test
    void withAddsToACopyAndNamesComeSorted() {
        CodecRegistry base = CodecRegistry.defaultRegistry();
        Named zeta = new Named("zeta");
        Named alpha = new Named("alpha");
        CodecRegistry more = base.with(zeta).with(alpha);

        assertEquals(List.of("alpha", "fp16", "fp32", "int4", "int8", "sign", "topk", "zeta", "zstd"), more.names());
        assertSame(zeta, more.get("zeta"));
        assertSame(alpha, more.get("alpha"));
        assertFalse(base.names().contains("zeta"));
        assertThrows(FedgeException.class, () -> base.get("zeta"));
    }

    @Test
    void withReplacesACodecOfTheSameName() {
        Named replacement = new Named("fp32");
        CodecRegistry replaced = CodecRegistry.defaultRegistry().with(replacement);
        assertSame(replacement, replaced.get("fp32"));
        assertEquals(CodecRegistry.defaultRegistry().names(), replaced.names());
        assertInstanceOf(Fp32Codec.class, CodecRegistry.defaultRegistry().get("fp32"));
    }

    @Test
    void withRefusesNull() {
        assertThrows(NullPointerException.class, () -> CodecRegistry.defaultRegistry().with(null));
    }
}
