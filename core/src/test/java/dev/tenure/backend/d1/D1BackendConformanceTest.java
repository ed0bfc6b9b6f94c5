package dev.tenure.backend.d1;

import dev.tenure.backend.Secret;
import dev.tenure.backend.conformance.RemoteBackendContract;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The transport half of the conformance suite, against {@link FakeD1Server}. */
class D1BackendConformanceTest extends RemoteBackendContract<D1Backend> {

    static final String TOKEN = "d1-conformance-token";

    /** One server for the whole class, jqwik's tries included; started on first use. */
    private static final class Shared {
        static final FakeD1Server SERVER = start();

        private static FakeD1Server start() {
            try {
                FakeD1Server server = new FakeD1Server(TOKEN);
                Runtime.getRuntime().addShutdownHook(new Thread(server::close));
                return server;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Override
    protected D1Backend newBackend() {
        return D1Backend.open(D1Settings.builder(FakeD1Server.ACCOUNT, FakeD1Server.DATABASE, Secret.of(TOKEN))
                .endpoint(Shared.SERVER.url()).build());
    }
}
