/**
 * Snapshot transport on Cloudflare D1 through its REST query API. Not atomic: see
 * {@link dev.tenure.backend.d1.D1Backend}.
 */
package dev.tenure.backend.d1;
