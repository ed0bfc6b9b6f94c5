package dev.tenure.backend.turso;

import dev.tenure.backend.Secret;
import dev.tenure.backend.conformance.RemoteBackendContract;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The transport half of the conformance suite, against {@link FakeHranaServer}. */
class TursoBackendConformanceTest extends RemoteBackendContract<TursoBackend> {

    static final String TOKEN = "hrana-conformance-token";

    /** One server for the whole class, jqwik's tries included; started on first use. */
    private static final class Shared {
        static final FakeHranaServer SERVER = start();

        private static FakeHranaServer start() {
            try {
                FakeHranaServer server = new FakeHranaServer(TOKEN);
                Runtime.getRuntime().addShutdownHook(new Thread(server::close));
                return server;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Override
    protected TursoBackend newBackend() {
        return TursoBackend.open(TursoSettings.builder(Shared.SERVER.url()).token(Secret.of(TOKEN)).build());
    }
}
