package dev.tenure.backend.local;

import dev.tenure.backend.conformance.AtomicRemoteBackendContract;
import java.nio.file.Files;


class LocalBackendConformanceTest extends AtomicRemoteBackendContract<LocalBackend> {

    @Override
    protected LocalBackend newBackend() throws Exception {
        return LocalBackend.open(Files.createTempDirectory("tenure-local-conformance-"));
    }

    @Override
    protected void discardBackend(LocalBackend used) throws Exception {
        deleteRecursively(used.root());
    }

}
