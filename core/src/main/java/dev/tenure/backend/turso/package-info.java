/**
 * Snapshot transport on libSQL (Turso, {@code sqld}) through Hrana over HTTP, following the
 * Hrana 3 specification and the sqld HTTP API v2 specification. Not atomic: see
 * {@link dev.tenure.backend.turso.TursoBackend}.
 */
package dev.tenure.backend.turso;
