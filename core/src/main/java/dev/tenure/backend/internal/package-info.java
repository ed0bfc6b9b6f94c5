/**
 * Helpers shared by the backends. Not part of Tenure's API: anything here may change without
 * notice.
 */
package dev.tenure.backend.internal;
