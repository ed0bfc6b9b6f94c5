/**
 * The lease protocol as a pure state machine ({@link dev.tenure.lease.protocol.LeaseMachine}: events
 * in, commands out, no I/O, no clock of its own), its record codec, and the deliberate bugs the
 * simulator switches on. Not part of the API: the module exports it to the simulator only.
 */
package dev.tenure.lease.protocol;
