/**
 * Tenure's backend contract and its stores. Exported: the contract, the URI table, and one package
 * per store. Not exported: the HTTP, file and SQL plumbing the stores share.
 */
// "module": the qualified export names dev.tenure.lease, which is compiled after this module.
@SuppressWarnings("module")
module dev.tenure.core {
    requires java.net.http;
    requires java.xml;
    // The optional Apache HTTP client behind s3:// uses jdk.net at run time; naming it here resolves it
    // on the module path (it is part of every JDK, so it costs nothing).
    requires jdk.net;
    requires com.fasterxml.jackson.databind;
    requires org.slf4j;
    // Optional: only users of s3:// add the AWS SDK; BackendUris names it when it is missing.
    requires static software.amazon.awssdk.services.s3;
    requires static software.amazon.awssdk.http.apache5;
    requires static software.amazon.awssdk.auth;
    requires static software.amazon.awssdk.awscore;
    requires static software.amazon.awssdk.core;
    requires static software.amazon.awssdk.http;
    requires static software.amazon.awssdk.regions;

    exports dev.tenure.backend;
    exports dev.tenure.backend.uri;
    exports dev.tenure.backend.memory;
    exports dev.tenure.backend.local;
    exports dev.tenure.backend.s3;
    exports dev.tenure.backend.azure;
    exports dev.tenure.backend.http;
    exports dev.tenure.backend.turso;
    exports dev.tenure.backend.d1;
    // The options of the SQL stores and their common (sealed) base; the SQL wire plumbing is not exported.
    exports dev.tenure.backend.sql;
    exports dev.tenure.backend.probe;
    // Local file helpers (atomic replace, fsync of a directory) the snapshot transport reuses.
    exports dev.tenure.backend.internal to dev.tenure.lease;
}
