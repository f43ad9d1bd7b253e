/**
 * Federated data sets: {@link io.fedge.data.Examples} (features of one {@link io.fedge.core.model.InputShape},
 * class labels with names or regression targets, 8-bit features kept as bytes), a
 * {@link io.fedge.data.TrainTest} pair, {@link io.fedge.data.ClientPartition}s that give each client
 * its examples ({@link io.fedge.data.Partitions}: iid, Dirichlet, shards, labels2, or the natural
 * partition the data names), and {@link io.fedge.data.DataSource}, which reads a pair in any of the
 * formats of {@link io.fedge.data.format}.
 *
 * <p>Every reader refuses a malformed file with a {@link io.fedge.core.FedgeException} of code
 * {@link io.fedge.core.ErrorCode#MALFORMED} whose one-line message names the file, the line or
 * record, and what was expected; a file that is not there is a {@link java.nio.file.NoSuchFileException}.
 */
package io.fedge.data;
