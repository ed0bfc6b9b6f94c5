/**
 * Snapshot transport: a database file downloaded on open and uploaded on flush, with one writer
 * and many readers over a bucket. On an atomic backend ({@link dev.tenure.snapshot.SnapshotStore})
 * flushes are compare-and-swap and fenced by a lease's tokens; on a plain backend
 * ({@link dev.tenure.snapshot.UnconditionalSnapshotStore}) they are unconditional. Content is
 * checked by SHA-256 before it replaces a local file. See {@code docs/snapshots.md}.
 */
package dev.tenure.snapshot;
