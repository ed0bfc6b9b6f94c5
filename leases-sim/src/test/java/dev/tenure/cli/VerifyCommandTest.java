package dev.tenure.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.local.LocalBackend;
import dev.tenure.backend.memory.InMemoryBackend;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class VerifyCommandTest {

    private static final String[] SMALL = {"--create-writers", "4", "--create-rounds", "5", "--increment-writers", "3", "--increments", "5"};

    @TempDir
    Path dir;

    private static CliRun verify(Function<String, AtomicRemoteBackend> opener, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                return cls == VerifyCommand.class ? cls.cast(new VerifyCommand(opener)) : CommandLine.defaultFactory().create(cls);
            }
        };
        CommandLine cli = TenureCli.commandLine(factory);
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        String[] all = Stream.concat(Stream.of("verify"), Stream.concat(Stream.of(args), Stream.of(SMALL))).toArray(String[]::new);
        return new CliRun(cli.execute(all), out.toString(), err.toString());
    }

    @Test
    void aMissingDirectoryIsAConfigErrorAndIsNotCreated() {
        Path missing = dir.resolve("typo");
        CliRun r = CliRun.of("verify", missing.toUri().toString());
        assertEquals(2, r.status(), r.out() + r.err());
        assertTrue(r.err().contains("directory " + missing + " does not exist") && r.err().contains("--create"), r.err());
        assertFalse(Files.exists(missing), "verify created the directory it was asked to check");
    }

    @Test
    void createMakesTheDirectoryAndLeavesNoProbeObjectsInIt() throws Exception {
        Path missing = dir.resolve("new");
        CliRun r = CliRun.of(Stream.concat(Stream.of("verify", missing.toUri().toString(), "--create"), Stream.of(SMALL)).toArray(String[]::new));
        assertEquals(0, r.status(), r.out() + r.err());
        assertEquals(List.of(), LocalBackend.open(missing).list(""), "probe keys left behind");
        assertFalse(Files.exists(missing.resolve(VerifyCommand.PROBE_PREFIX)), "probe directories left behind");
    }

    @Test
    void anExistingDirectoryIsVerifiedAndLeftAsItWas() throws Exception {
        LocalBackend.open(dir).put("users/data", new byte[] {1}, ConditionalPut.ifAbsent());
        CliRun r = CliRun.of(Stream.concat(Stream.of("verify", dir.toUri().toString()), Stream.of(SMALL)).toArray(String[]::new));
        assertEquals(0, r.status(), r.out() + r.err());
        assertEquals(List.of("users/data"), LocalBackend.open(dir).list(""));
    }

    @Test
    void onMemoryNothingIsLeftBehind() {
        InMemoryBackend store = new InMemoryBackend("kept");
        CliRun r = verify(uri -> new Unclosed(store), "mem:");
        assertEquals(0, r.status(), r.out() + r.err());
        assertEquals(List.of(), store.list(""));
    }

    /** A check that fails midway (the store refuses a write during the create race) still leaves no probe key behind. */
    @Test
    void aCheckFailingMidwayStillLeavesNothingBehind() {
        InMemoryBackend store = new InMemoryBackend("kept");
        AtomicInteger creates = new AtomicInteger();
        CliRun r = verify(uri -> new Unclosed(store) {
            @Override
            public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
                if (key.contains("/race/") && creates.incrementAndGet() == 7) {
                    throw BackendException.internal(key, "refused on purpose", null);
                }
                return super.put(key, bytes, condition);
            }
        }, "mem:");
        assertEquals(1, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("create-if-absent atomic") && r.out().contains("refused on purpose"), r.out());
        assertEquals(List.of(), store.list(""));
    }

    @Test
    void aCheckFailingMidwayOnAFileStoreLeavesNothingBehind() throws Exception {
        AtomicInteger writes = new AtomicInteger();
        CliRun r = verify(uri -> new ForwardingAtomicBackend(LocalBackend.open(dir)) {
            @Override
            public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
                if (key.endsWith("counter") && writes.incrementAndGet() == 4) {
                    throw BackendException.auth(key, "refused on purpose", null);
                }
                return super.put(key, bytes, condition);
            }
        }, dir.toUri().toString());
        assertEquals(2, r.status(), r.out() + r.err());
        assertTrue(r.err().contains("refused on purpose"), r.err());
        assertEquals(List.of(), LocalBackend.open(dir).list(""));
    }

    /** A key the store will not delete is named in a warning, so it can be removed by hand. */
    @Test
    void aKeyThatCannotBeDeletedIsNamed() {
        InMemoryBackend store = new InMemoryBackend("kept");
        CliRun r = verify(uri -> new Unclosed(store) {
            @Override
            public void delete(String key) {
                if (key.endsWith("/stale")) {
                    throw BackendException.auth(key, "no delete permission", null);
                }
                super.delete(key);
            }
        }, "mem:");
        assertEquals(0, r.status(), r.out() + r.err());
        String left = store.list("").get(0);
        assertTrue(left.endsWith("/stale") && store.list("").size() == 1, store.list("").toString());
        assertTrue(r.out().contains("WARNING: 1 probe object could not be deleted; remove them by hand: " + left), r.out());
    }

    /** The in-memory store outlives the command, so the test can list what is left. */
    private static class Unclosed extends ForwardingAtomicBackend {
        Unclosed(AtomicRemoteBackend store) {
            super(store);
        }

        @Override
        public void close() {
        }
    }
}
