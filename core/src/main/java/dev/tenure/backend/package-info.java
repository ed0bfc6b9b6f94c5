/**
 * The backend contract every Tenure store implements.
 *
 * <p>{@link dev.tenure.backend.RemoteBackend} moves whole objects (snapshot transport).
 * {@link dev.tenure.backend.AtomicRemoteBackend} adds compare-and-swap that the store itself
 * enforces; leases and ledgers accept nothing weaker, so handing them a plain
 * {@code RemoteBackend} does not compile. Every failure is a
 * {@link dev.tenure.backend.BackendException} carrying one of six kinds and whether a failed
 * mutation is ambiguous (it may have been applied).
 */
package dev.tenure.backend;
