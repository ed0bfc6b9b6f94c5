/**
 * Retry policies: exponential backoff with full jitter, a cap and a deadline, built on
 * resilience4j. Only transport failures are retried blindly; a failed condition goes back to the
 * protocol, which re-reads.
 */
package dev.tenure.retry;
