/**
 * Opening a backend from a URI: one table of schemes ({@link dev.tenure.backend.uri.Scheme}) and the
 * factory that reads it ({@link dev.tenure.backend.uri.BackendUris}). The backend contract itself
 * ({@code dev.tenure.backend}) knows no store.
 */
package dev.tenure.backend.uri;
