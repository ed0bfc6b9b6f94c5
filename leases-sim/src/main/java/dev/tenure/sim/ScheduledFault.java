package dev.tenure.sim;

/**
 * One fault at a fixed virtual time: the explicit form of a fault schedule, which property tests
 * generate and shrink.
 *
 * @param atMillis when, in virtual milliseconds
 * @param fault which of PARTITION, PAUSE, CRASH, HANDOVER
 * @param leader true to hit whichever node leads then; false to hit node {@code node}
 * @param node the node hit when not the leader
 * @param lengthMillis how long it lasts
 */
public record ScheduledFault(long atMillis, Fault fault, boolean leader, int node, long lengthMillis) {
}
