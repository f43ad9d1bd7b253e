/**
 * Ways of splitting a labelled data set among simulated clients: IID, Dirichlet label skew
 * (Hsu et al. 2019) and McMahan's label-sorted shards.
 *
 * <p>Every {@link io.fedge.data.partition.Partitioner} is driven by one
 * {@link java.util.Random}, so the same seed always yields the same split. Pick one by name
 * with {@link io.fedge.data.partition.PartitionSchemes#byName(String, double)}.
 */
package io.fedge.data.partition;
