/**
 * Deterministic simulation of lease holders in virtual time, with fault injection and checkers
 * that can fail. Nodes run the production {@link dev.tenure.lease.protocol.LeaseMachine} unmodified; the
 * same seed gives the same history, byte for byte.
 */
package dev.tenure.sim;
