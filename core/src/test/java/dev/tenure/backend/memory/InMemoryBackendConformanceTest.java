package dev.tenure.backend.memory;

import dev.tenure.backend.conformance.AtomicRemoteBackendContract;

class InMemoryBackendConformanceTest extends AtomicRemoteBackendContract<InMemoryBackend> {

    @Override
    protected InMemoryBackend newBackend() {
        return new InMemoryBackend();
    }
}
