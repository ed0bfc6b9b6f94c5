/** Benchmarks that print figures: the ledger against the one-object-per-append baseline. */
package dev.tenure.bench;
