package dev.tenure.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.junit.jupiter.api.Test;

class VersionTest {

    /** The build's version (surefire passes the POM's), not a placeholder such as "dev". */
    @Test
    void versionPrintsTheProjectVersion() {
        String expected = System.getProperty("tenure.expectedVersion");
        assertNotNull(expected, "surefire sets tenure.expectedVersion from the POM");
        CliRun r = CliRun.of("--version");
        assertEquals(0, r.status(), r.err());
        assertEquals("tenure " + expected, r.out().strip());
        assertEquals("tenure " + expected, CliRun.of("demo", "--version").out().strip(), "every command prints the same");
    }
}
