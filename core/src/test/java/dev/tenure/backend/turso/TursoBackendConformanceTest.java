package dev.tenure.backend.turso;

import dev.tenure.backend.Secret;
import dev.tenure.backend.conformance.RemoteBackendContract;
import dev.tenure.backend.sql.FakeSqlServer;

/** The transport half of the conformance suite, against {@link FakeHranaServer}; the default 64 MiB large object is 128 chunks. */
class TursoBackendConformanceTest extends RemoteBackendContract<TursoBackend> {

    private static final String TOKEN = "hrana-conformance-token";

    /** One server for the whole class, jqwik's tries included; started on first use. */
    private static final class Shared {
        static final FakeHranaServer SERVER = FakeSqlServer.untilExit(() -> new FakeHranaServer(TOKEN));
    }

    @Override
    protected TursoBackend newBackend() {
        return TursoBackend.open(TursoSettings.builder(Shared.SERVER.url()).token(Secret.of(TOKEN)).build());
    }
}
