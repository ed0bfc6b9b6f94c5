/**
 * A backend on a local directory, atomic across threads and processes of one host.
 *
 * <p>See {@code docs/backends.md} for the on-disk layout and its guarantees.
 */
package dev.tenure.backend.local;
