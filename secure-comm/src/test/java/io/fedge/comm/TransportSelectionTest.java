package io.fedge.comm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the transport is chosen from the property and from whether epoll loads. */
class TransportSelectionTest {
    private static final Supplier<Optional<Throwable>> LOADS = Optional::empty;
    /** What Class.forName says when netty-transport-classes-epoll is not on the class path. */
    private static final Supplier<Optional<Throwable>> NO_CLASSES =
            () -> Optional.of(new ClassNotFoundException("io.netty.channel.epoll.Epoll"));
    /** What Netty's Epoll reports when the native library is missing: a long, multi-line error. */
    private static final Supplier<Optional<Throwable>> NO_NATIVE = () -> Optional.of(new UnsatisfiedLinkError(
            "could not load a native library: netty_transport_native_epoll_aarch_64\n\tSuppressed: ..."));

    @Test
    void autoTakesEpollWhenItLoadsAndLogsNothing() {
        for (String auto : new String[] {null, "", "  ", "auto", "AUTO"}) {
            TransportSelection.Choice c = TransportSelection.choose(auto, LOADS);
            assertEquals(Transport.EPOLL, c.transport(), String.valueOf(auto));
            assertEquals(Optional.empty(), c.fallback());
        }
    }

    @Test
    void autoFallsBackToNioWithOneLineNamingWhyWhenTheClassesAreMissing() {
        TransportSelection.Choice c = TransportSelection.choose(null, NO_CLASSES);
        assertEquals(Transport.NIO, c.transport());
        assertEquals("fedge: Netty transport NIO; epoll is unavailable here "
                + "(ClassNotFoundException: io.netty.channel.epoll.Epoll)", c.fallback().orElseThrow());
    }

    @Test
    void autoFallsBackToNioWithTheFirstLineOfANativeLibraryError() {
        TransportSelection.Choice c = TransportSelection.choose("auto", NO_NATIVE);
        assertEquals(Transport.NIO, c.transport());
        assertEquals("fedge: Netty transport NIO; epoll is unavailable here (UnsatisfiedLinkError: "
                + "could not load a native library: netty_transport_native_epoll_aarch_64)", c.fallback().orElseThrow());
    }

    @Test
    void nioIsTakenWithoutProbingEpoll() {
        AtomicInteger probes = new AtomicInteger();
        TransportSelection.Choice c = TransportSelection.choose(" NIO ", () -> {
            probes.incrementAndGet();
            return Optional.empty();
        });
        assertEquals(Transport.NIO, c.transport());
        assertEquals("fedge: Netty transport NIO (fedge.transport=nio)", c.fallback().orElseThrow());
        assertEquals(0, probes.get(), "epoll's classes are not touched");
    }

    @Test
    void epollIsTakenWhenAskedForAndRefusedWhenItCannotLoad() {
        assertEquals(Transport.EPOLL, TransportSelection.choose("epoll", LOADS).transport());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TransportSelection.choose("epoll", NO_NATIVE));
        assertEquals("fedge.transport=epoll but Netty's epoll transport is unavailable here: UnsatisfiedLinkError: "
                + "could not load a native library: netty_transport_native_epoll_aarch_64", e.getMessage());
        assertTrue(e.getCause() instanceof UnsatisfiedLinkError);
    }

    @Test
    void anUnknownValueIsRefusedNamingThePropertyAndTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TransportSelection.choose("kqueue", LOADS));
        assertEquals("system property fedge.transport must be auto, epoll or nio: 'kqueue'", e.getMessage());
    }

    @Test
    @EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "aarch64"})
    @DisabledIfSystemProperty(named = "fedge.test.withoutNativeNetty", matches = "true")
    @DisabledIfSystemProperty(named = "fedge.transport", matches = ".+")
    void onLinuxWithTheNativeJarTheProcessUsesEpoll() {
        // the build puts netty-transport-native-epoll for this machine on the test class path
        assertEquals(Optional.empty(), EpollTransport.unavailability().map(CauseLine::of));
        assertSame(Transport.EPOLL, Transports.selected());
        assertTrue(Transports.usesEpoll());
        assertEquals("io.netty.channel.epoll.EpollSocketChannel", Transports.channelClass().getName());
        assertFalse(Transports.channelClass().getName().contains("Nio"));
    }
}
