/**
 * The ledger writer's protocol as a pure state machine
 * ({@link dev.tenure.ledger.protocol.LedgerWriterMachine}), the segment and checkpoint formats and
 * the key layout. Not part of the API: the module exports it to the simulator only.
 */
package dev.tenure.ledger.protocol;
