/**
 * Writer leases, leader election and fencing tokens on an
 * {@link dev.tenure.backend.AtomicRemoteBackend}. (Under construction: see the project's issues.)
 */
package dev.tenure.lease;
