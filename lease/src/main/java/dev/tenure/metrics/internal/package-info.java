/**
 * Not exported: what turns the lease, ledger and snapshot protocols' events into log lines,
 * {@link dev.tenure.metrics.TenureObserver} calls and health. One class per area; the drivers call
 * them with one line per event.
 */
package dev.tenure.metrics.internal;
