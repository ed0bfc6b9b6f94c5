/**
 * The S3-compatible backend (AWS SDK for Java v2): AWS S3, Cloudflare R2, Google Cloud Storage,
 * DigitalOcean Spaces, MinIO, Ceph RADOS Gateway. Store differences that could silently turn a
 * compare-and-swap into an overwrite are captured in {@link dev.tenure.backend.s3.S3Profile}.
 */
package dev.tenure.backend.s3;
