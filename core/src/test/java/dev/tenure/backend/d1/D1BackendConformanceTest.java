package dev.tenure.backend.d1;

import dev.tenure.backend.Secret;
import dev.tenure.backend.conformance.RemoteBackendContract;
import dev.tenure.backend.sql.FakeSqlServer;

/** The transport half of the conformance suite, against {@link FakeD1Server}; the default 64 MiB large object is 256 chunks. */
class D1BackendConformanceTest extends RemoteBackendContract<D1Backend> {

    private static final String TOKEN = "d1-conformance-token";

    /** One server for the whole class, jqwik's tries included; started on first use. */
    private static final class Shared {
        static final FakeD1Server SERVER = FakeSqlServer.untilExit(() -> new FakeD1Server(TOKEN));
    }

    @Override
    protected D1Backend newBackend() {
        return D1Backend.open(D1Settings.builder(FakeD1Server.ACCOUNT, FakeD1Server.DATABASE, Secret.of(TOKEN))
                .endpoint(Shared.SERVER.url()).build());
    }
}
