package io.fedge.data.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PartitionSchemesTest {

    @Test
    void findsEachSchemeByName() {
        assertInstanceOf(IidPartitioner.class, PartitionSchemes.byName("iid", 0.5));
        assertEquals(new DirichletPartitioner(0.3, 10), PartitionSchemes.byName("Dirichlet", 0.3));
        assertEquals(new ShardPartitioner(2), PartitionSchemes.byName("shards", 0.5));
    }

    @Test
    void unknownNameListsTheValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PartitionSchemes.byName("pathological", 0.5));
        assertTrue(e.getMessage().contains("'pathological'"), e.getMessage());
        assertTrue(e.getMessage().contains("[iid, dirichlet, shards, labels2]"), e.getMessage());
    }
}
