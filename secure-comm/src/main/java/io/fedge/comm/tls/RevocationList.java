package io.fedge.comm.tls;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The CA's revocation list in force, as an immutable {@link Snapshot} swapped atomically. The file
 * is read only here: once when the list is made (which fails if the file is missing or not signed
 * by the CA), then by a watcher thread that polls the file's modification time and size every
 * interval and swaps in a new snapshot when they change. Handshakes (on event loops) only read the
 * snapshot and never touch the file. A rewritten file that cannot be read, parsed or verified keeps
 * the previous snapshot and is logged once with the reason.
 *
 * <p>One daemon thread ({@code fedge-revocation-watch}) polls every list in the process. A list
 * nobody references any more stops being polled; {@link #close()} stops it at once. Thread-safe.
 */
public final class RevocationList implements AutoCloseable {
    /** How often the file is polled unless told otherwise. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);

    private static final Logger log = LoggerFactory.getLogger(RevocationList.class);
    private static final ScheduledExecutorService WATCHER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fedge-revocation-watch");
        t.setDaemon(true);
        return t;
    });

    /**
     * One revocation list as read from its file: the list and the file's modification time and size
     * when it was read. Immutable.
     */
    public record Snapshot(X509CRL crl, FileTime modified, long size) {
        public Snapshot {
            Objects.requireNonNull(crl, "crl");
            Objects.requireNonNull(modified, "modified");
        }

        /** Whether this list revokes {@code certificate}. */
        public boolean revokes(X509Certificate certificate) {
            return crl.isRevoked(certificate);
        }

        boolean sameFile(FileTime otherModified, long otherSize) {
            return modified.equals(otherModified) && size == otherSize;
        }
    }

    private final X509Certificate ca;
    private final Path file;
    private final AtomicReference<Snapshot> snapshot = new AtomicReference<>();
    private final List<Consumer<Snapshot>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong fileReads = new AtomicLong();
    private final AtomicLong checks = new AtomicLong();
    /** Time and size of the last file that could not be used, so that it is logged once. */
    private volatile String lastFailure;
    private volatile ScheduledFuture<?> poller;

    private RevocationList(X509Certificate ca, Path file) throws IOException {
        this.ca = Objects.requireNonNull(ca, "ca");
        this.file = Objects.requireNonNull(file, "file");
        snapshot.set(read());
    }

    /**
     * Reads {@code file} now and polls it every {@code interval} from then on.
     *
     * @throws IOException if the file cannot be read or is not a list signed by {@code ca}
     */
    public static RevocationList watch(X509Certificate ca, Path file, Duration interval) throws IOException {
        Objects.requireNonNull(interval, "interval");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive: " + interval);
        }
        RevocationList list = new RevocationList(ca, file);
        WeakReference<RevocationList> ref = new WeakReference<>(list);
        AtomicReference<ScheduledFuture<?>> self = new AtomicReference<>();
        // The task holds the list weakly: a list whose TLS context was dropped stops being polled.
        ScheduledFuture<?> task = WATCHER.scheduleWithFixedDelay(() -> {
            RevocationList l = ref.get();
            if (l == null) {
                ScheduledFuture<?> f = self.get();
                if (f != null) {
                    f.cancel(false);
                }
                return;
            }
            l.refresh();
        }, interval.toNanos(), interval.toNanos(), TimeUnit.NANOSECONDS);
        self.set(task);
        list.poller = task;
        return list;
    }

    /** The list's file. */
    public Path file() {
        return file;
    }

    /** The list in force now; never reads the file. */
    public Snapshot snapshot() {
        return snapshot.get();
    }

    /** How many times the file was read (the first load included). */
    public long fileReads() {
        return fileReads.get();
    }

    /** How many peer certificates have been judged against this list: one per full handshake. */
    public long certificatesChecked() {
        return checks.get();
    }

    void countCheck() {
        checks.incrementAndGet();
    }

    /**
     * Calls {@code listener} on the watcher thread with every new snapshot.
     *
     * @return closing it stops the calls
     */
    public AutoCloseable onChange(Consumer<Snapshot> listener) {
        Objects.requireNonNull(listener, "listener");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /**
     * Reads the file if its time or size changed since the snapshot, and swaps in the new list if
     * it is the CA's; keeps the snapshot otherwise. Never throws. Called by the watcher thread.
     *
     * @return whether a new snapshot is in force
     */
    public boolean refresh() {
        Snapshot current = snapshot.get();
        String stamp;
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            long size = Files.size(file);
            if (current.sameFile(modified, size)) {
                return false;
            }
            stamp = modified + "/" + size;
            if (stamp.equals(lastFailure)) {
                return false;
            }
        } catch (IOException e) {
            keepPrevious("cannot be read: " + e, "missing");
            return false;
        }
        Snapshot fresh;
        try {
            fresh = read();
        } catch (IOException e) {
            keepPrevious(e.getMessage(), stamp);
            return false;
        }
        lastFailure = null;
        snapshot.set(fresh);
        log.info("revocation list {} reloaded: {} certificates revoked", file,
                fresh.crl().getRevokedCertificates() == null ? 0 : fresh.crl().getRevokedCertificates().size());
        for (Consumer<Snapshot> l : listeners) {
            try {
                l.accept(fresh);
            } catch (RuntimeException e) {
                log.warn("a revocation list listener failed", e);
            }
        }
        return true;
    }

    private void keepPrevious(String why, String stamp) {
        if (!stamp.equals(lastFailure)) {
            lastFailure = stamp;
            Snapshot kept = snapshot.get();
            log.warn("revocation list {} unusable ({}); keeping the list read at {}", file, why, kept.modified());
        }
    }

    private Snapshot read() throws IOException {
        fileReads.incrementAndGet();
        // Time and size first: a list rewritten within the file system's time granularity still differs in size.
        FileTime modified = Files.getLastModifiedTime(file);
        long size = Files.size(file);
        X509CRL crl;
        try {
            crl = PemFiles.readCrl(file);
        } catch (IOException | RuntimeException e) {
            throw new IOException(file + " is not a revocation list: " + e.getMessage(), e);
        }
        try {
            crl.verify(ca.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new IOException(file + " is not signed by the fedge CA " + ca.getSubjectX500Principal(), e);
        }
        return new Snapshot(crl, modified, size);
    }

    /** Stops polling the file; the last snapshot stays in force. */
    @Override
    public void close() {
        ScheduledFuture<?> p = poller;
        if (p != null) {
            p.cancel(false);
        }
    }
}
