/**
 * What Tenure reports about itself, for metrics: {@link dev.tenure.metrics.TenureObserver}, a neutral
 * observer that a lease manager, a ledger and a snapshot store call (it names no metrics library),
 * and {@link dev.tenure.metrics.MicrometerObserver}, its Micrometer binding. Micrometer is an
 * optional dependency: only {@code MicrometerObserver} needs it, and nothing loads that class
 * unless the application does. The meters are listed in {@code docs/operations.md}.
 */
package dev.tenure.metrics;
