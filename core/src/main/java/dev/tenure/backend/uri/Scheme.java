package dev.tenure.backend.uri;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Every URI scheme Tenure opens, in one table: what it names, whether it can compare-and-swap, and
 * which optional dependency it needs. {@link BackendUris} opens by this table and the command line
 * lists its forms from it, so a new store is added here once.
 */
public enum Scheme {
    /** A fresh in-memory store, for tests and demonstrations. */
    MEM("mem", "mem:", Capability.ATOMIC, null),
    /** A directory on a local (or shared POSIX) file system. */
    FILE("file", "file:///path/to/dir", Capability.ATOMIC, null),
    /** Amazon S3 and the stores that speak its API with conditional writes. */
    S3("s3", "s3://bucket/prefix?endpoint=...&profile=...", Capability.ATOMIC, Dependencies.AWS_SDK),
    /**
     * Google Cloud Storage through its XML API, with compare-and-swap on object generations and an
     * HMAC key (through the same optional AWS SDK).
     */
    GS("gs", "gs://bucket/prefix", Capability.ATOMIC, Dependencies.AWS_SDK),
    /** Azure Blob Storage (and Azurite) over its REST API, with Shared Key or SAS credentials. */
    AZ("az", "az://account/container/prefix?endpoint=...&credentialsFile=...", Capability.ATOMIC, null),
    /** A WebDAV-style HTTP server; atomic only when it enforces preconditions and says so. */
    HTTP("http", "http(s)://host/path/?preconditions=enforced", Capability.ATOMIC_WHEN_ENFORCED, null),
    /** The same over TLS. */
    HTTPS("https", "https://host/path/?preconditions=enforced", Capability.ATOMIC_WHEN_ENFORCED, null),
    /** Turso or any libSQL server (Hrana over HTTP). */
    LIBSQL("libsql", "libsql://host?tokenFile=...", Capability.TRANSPORT_ONLY, null),
    /** Cloudflare D1 over its HTTP API. */
    D1("d1", "d1://account/database?tokenFile=...", Capability.TRANSPORT_ONLY, null);

    /** What a store behind a scheme can do. */
    public enum Capability {
        /** Compare-and-swap the store enforces: leases, ledgers, fenced snapshots. */
        ATOMIC,
        /** Atomic only when the URI claims the server enforces preconditions, and a probe agrees. */
        ATOMIC_WHEN_ENFORCED,
        /** Snapshot transport only: it cannot compare-and-swap. */
        TRANSPORT_ONLY
    }

    /**
     * A dependency the user adds only when they use this scheme.
     *
     * @param probeClasses one class of each artifact, looked up before the backend is opened
     * @param coordinates the Maven coordinates to name in the error when one is missing
     */
    record OptionalDependency(List<String> probeClasses, String coordinates) {
        OptionalDependency {
            probeClasses = List.copyOf(probeClasses);
        }
    }

    /** Optional dependencies shared by several schemes (a holder: enum constants are built before static fields). */
    private static final class Dependencies {
        static final OptionalDependency AWS_SDK = new OptionalDependency(
                List.of("software.amazon.awssdk.services.s3.S3Client", "software.amazon.awssdk.http.apache5.Apache5HttpClient"),
                "software.amazon.awssdk:s3 and software.amazon.awssdk:apache5-client");
    }

    private final String name;
    private final String form;
    private final Capability capability;
    private final OptionalDependency dependency;

    Scheme(String name, String form, Capability capability, OptionalDependency dependency) {
        this.name = name;
        this.form = form;
        this.capability = capability;
        this.dependency = dependency;
    }

    /** The scheme as written before the colon, in lower case. */
    public String scheme() {
        return name;
    }

    /** The URI form, for help and error messages. */
    public String form() {
        return form;
    }

    /** Whether the store can compare-and-swap. */
    public Capability capability() {
        return capability;
    }

    Optional<OptionalDependency> dependency() {
        return Optional.ofNullable(dependency);
    }

    /** The scheme a URI names, if Tenure knows it (schemes are case-insensitive, RFC 3986). */
    public static Optional<Scheme> of(String uri) {
        int colon = uri == null ? -1 : uri.indexOf(':');
        if (colon <= 0) {
            return Optional.empty();
        }
        String scheme = uri.substring(0, colon).toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(s -> s.name.equals(scheme)).findFirst();
    }

    /** The forms of the schemes that can hold a lease (atomic, or atomic when enforced). */
    public static List<String> atomicForms() {
        return Arrays.stream(values()).filter(s -> s.capability != Capability.TRANSPORT_ONLY && s != HTTPS)
                .map(Scheme::form).toList();
    }

    /** Every form, atomic or not. */
    public static List<String> allForms() {
        return Arrays.stream(values()).filter(s -> s != HTTPS).map(Scheme::form).toList();
    }
}
