package io.fedge.comm.tls;

import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the TLS engine is chosen from the property and from whether Netty's OpenSSL engine loads. */
class TlsProviderSelectionTest {
    private static final Supplier<Optional<Throwable>> LOADS = Optional::empty;
    /** What Netty's OpenSsl reports without netty-tcnative on the class path. */
    private static final Supplier<Optional<Throwable>> NO_TCNATIVE =
            () -> Optional.of(new ClassNotFoundException("io.netty.internal.tcnative.SSLContext"));

    @Test
    void autoTakesOpenSslWhenItLoadsAndLogsNothing() {
        for (String auto : new String[] {null, "", "auto", "Auto"}) {
            TlsProviderSelection.Choice c = TlsProviderSelection.choose(auto, LOADS);
            assertEquals(SslProvider.OPENSSL, c.provider(), String.valueOf(auto));
            assertEquals(Optional.empty(), c.fallback());
        }
    }

    @Test
    void autoFallsBackToTheJdkWithOneLineNamingWhy() {
        TlsProviderSelection.Choice c = TlsProviderSelection.choose(null, NO_TCNATIVE);
        assertEquals(SslProvider.JDK, c.provider());
        assertEquals("fedge: TLS engine JDK; Netty's OpenSSL engine (netty-tcnative) is unavailable here "
                + "(ClassNotFoundException: io.netty.internal.tcnative.SSLContext)", c.fallback().orElseThrow());
    }

    @Test
    void jdkIsTakenWithoutProbingOpenSsl() {
        AtomicInteger probes = new AtomicInteger();
        TlsProviderSelection.Choice c = TlsProviderSelection.choose("jdk", () -> {
            probes.incrementAndGet();
            return Optional.empty();
        });
        assertEquals(SslProvider.JDK, c.provider());
        assertEquals("fedge: TLS engine JDK (fedge.tls.provider=jdk)", c.fallback().orElseThrow());
        assertEquals(0, probes.get());
    }

    @Test
    void openSslIsTakenWhenAskedForAndRefusedWhenItCannotLoad() {
        assertEquals(SslProvider.OPENSSL, TlsProviderSelection.choose("openssl", LOADS).provider());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TlsProviderSelection.choose("openssl", NO_TCNATIVE));
        assertEquals("fedge.tls.provider=openssl but Netty's OpenSSL engine is unavailable here: "
                + "ClassNotFoundException: io.netty.internal.tcnative.SSLContext", e.getMessage());
        assertTrue(e.getCause() instanceof ClassNotFoundException);
    }

    @Test
    void anUnknownValueIsRefusedNamingThePropertyAndTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TlsProviderSelection.choose("boringssl", LOADS));
        assertEquals("system property fedge.tls.provider must be auto, openssl or jdk: 'boringssl'", e.getMessage());
    }

    @Test
    @EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "aarch64"})
    @DisabledIfSystemProperty(named = "fedge.test.withoutNativeNetty", matches = "true")
    @DisabledIfSystemProperty(named = "fedge.tls.provider", matches = ".+")
    void onLinuxWithBoringSslOnTheClassPathTheProcessUsesOpenSsl() {
        assertEquals(Optional.empty(), TlsContexts.openSslUnavailability());
        assertSame(SslProvider.OPENSSL, TlsContexts.provider());
    }
}
