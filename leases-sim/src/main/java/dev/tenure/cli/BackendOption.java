package dev.tenure.cli;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.uri.BackendUris;
import dev.tenure.backend.uri.Scheme;
import java.util.Iterator;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/**
 * The {@code --backend} option every command that needs an atomic store shares; its help lists the
 * forms from the one scheme table, so a new store appears here without an edit.
 */
final class BackendOption {

    @Option(names = "--backend", paramLabel = "URI", completionCandidates = AtomicForms.class,
            description = "Backend URI: ${COMPLETION-CANDIDATES}. Default: see the command's description.")
    String uri;

    /** The URI given, or the command's default when none was. */
    String uriOr(Supplier<String> fallback) {
        return uri != null ? uri : fallback.get();
    }

    AtomicRemoteBackend openAtomic(Supplier<String> fallback) {
        return BackendUris.openAtomic(uriOr(fallback));
    }

    /** The atomic forms, for the help text. */
    static final class AtomicForms implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Scheme.atomicForms().iterator();
        }
    }

    /** Every form, atomic or not, for commands that also take snapshot-transport stores. */
    static final class AllForms implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Scheme.allForms().iterator();
        }
    }
}
