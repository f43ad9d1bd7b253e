/**
 * Update codecs: how a slice of a float parameter vector becomes bytes on the wire and back.
 * Every codec encodes and decodes one chunk on its own, so a receiver can fold an update into an
 * aggregate chunk by chunk. Codecs are found by name in a {@link io.fedge.compression.CodecRegistry},
 * and the wire carries the name.
 */
package io.fedge.compression;
