/**
 * Snapshot transport on SQLite databases reached over HTTP: the chunked object layout, its
 * consistency and its integrity checks, shared by {@link dev.tenure.backend.turso.TursoBackend}
 * (libSQL's Hrana over HTTP) and {@link dev.tenure.backend.d1.D1Backend} (Cloudflare D1's REST
 * API). Each of those supplies only its wire protocol, a {@link dev.tenure.backend.sql.wire.SqlWire}.
 * None of these backends is atomic: they cannot back a lease or a ledger.
 */
package dev.tenure.backend.sql;
