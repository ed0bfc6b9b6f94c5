/**
 * Azure Blob Storage as an atomic backend: {@link dev.tenure.backend.azure.AzureBlobBackend},
 * configured by {@link dev.tenure.backend.azure.AzureSettings} ({@code az://account/container/prefix}).
 */
package dev.tenure.backend.azure;
