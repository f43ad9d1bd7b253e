package io.fedge.dashboard;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * One file of the dashboard: its path under {@link DashboardAssets#RESOURCE_ROOT}, the
 * {@code Content-Type} to serve it with, its bytes and a strong {@code ETag}.
 *
 * <p>Immutable: the bytes are copied in and every accessor hands out a copy or a read-only view,
 * so an asset can be shared by all threads serving the page.
 *
 * @param path the file's path relative to the resource root, such as {@code app.js}
 * @param contentType the media type with its charset for text, such as {@code text/javascript; charset=utf-8}
 * @param bytes the file's content
 * @param etag a strong entity tag, quoted: the first 128 bits of the content's SHA-256 in hex
 */
public record DashboardAsset(String path, String contentType, byte[] bytes, String etag) {
    /**
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if path, contentType or etag is empty
     */
    public DashboardAsset {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(etag, "etag");
        if (path.isEmpty() || contentType.isEmpty() || etag.isEmpty()) {
            throw new IllegalArgumentException("path, contentType and etag must not be empty: path '" + path
                    + "', contentType '" + contentType + "', etag '" + etag + "'");
        }
        bytes = bytes.clone();
    }

    /** A copy of the content. */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The content as a read-only buffer over the asset's own bytes (no copy). */
    public ByteBuffer buffer() {
        return ByteBuffer.wrap(bytes).asReadOnlyBuffer();
    }

    /** The content's length in bytes. */
    public int length() {
        return bytes.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DashboardAsset a && path.equals(a.path) && contentType.equals(a.contentType)
                && etag.equals(a.etag) && Arrays.equals(bytes, a.bytes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(path, contentType, etag, Arrays.hashCode(bytes));
    }

    @Override
    public String toString() {
        return "DashboardAsset[" + path + ", " + contentType + ", " + bytes.length + " bytes, " + etag + "]";
    }
}
