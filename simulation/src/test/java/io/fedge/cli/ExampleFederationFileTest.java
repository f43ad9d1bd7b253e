package io.fedge.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code examples/federation.yaml} is the README's default simulation, and drives a coordinator and a client too. */
class ExampleFederationFileTest {
    private static final Path EXAMPLE = Path.of("..", "examples", "federation.yaml");

    @Test
    void itIsTheDefaultSimulation() {
        assertTrue(Files.isRegularFile(EXAMPLE), EXAMPLE.toAbsolutePath().toString());
        CliRun fromFile = CliRun.of("simulate", "--config", EXAMPLE.toString(), "--print-config");
        // plain `fedge simulate` selects all 10 clients; its --per-round has no value until then
        CliRun defaults = CliRun.of("simulate", "--per-round", "10", "--print-config");
        assertEquals(0, fromFile.exit(), fromFile.err());
        assertEquals(body(defaults.out()), body(fromFile.out()));
    }

    @Test
    void itDrivesACoordinatorAndAClient() {
        CliRun coordinator = CliRun.of("coordinator", "--config", EXAMPLE.toString(), "--print-config");
        assertEquals(0, coordinator.exit(), coordinator.err());
        assertTrue(coordinator.out().contains("  min_clients: 10\n"), coordinator.out());
        assertTrue(coordinator.out().contains("  per_round: 10\n"), coordinator.out());
        assertTrue(coordinator.out().contains("security:\n  tls: true\n"), "TLS unless the file says otherwise");
        CliRun client = CliRun.of("client", "--config", EXAMPLE.toString(), "--index", "9", "--print-config");
        assertEquals(0, client.exit(), client.err());
        assertTrue(client.out().contains("  address: 127.0.0.1:7070\n"), client.out());
        assertTrue(client.out().contains("  clients: 10\n"), client.out());
        assertFalse(client.out().contains("training"), "a client takes its training from the coordinator");
    }

    private static String body(String printed) {
        return printed.substring(printed.indexOf('\n') + 1);
    }
}
