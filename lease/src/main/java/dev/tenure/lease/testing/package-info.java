/**
 * Test support for applications: {@link dev.tenure.lease.testing.VirtualTime} runs lease managers and
 * elections in virtual time on an {@link dev.tenure.backend.memory.InMemoryBackend}.
 */
package dev.tenure.lease.testing;
