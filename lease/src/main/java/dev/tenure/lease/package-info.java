/**
 * Writer leases, leader election and fencing tokens on an
 * {@link dev.tenure.backend.AtomicRemoteBackend}.
 *
 * <p>The protocol is a pure state machine ({@code LeaseMachine}) that consumes events (a timer
 * firing at a monotonic instant, a backend response) and emits commands (send a request, arm a
 * timer, notify); {@link dev.tenure.lease.LeaseManager} drives it against a real backend on an
 * injected clock and scheduler. See {@code docs/leases.md} for the rules and their reasons.
 */
package dev.tenure.lease;
