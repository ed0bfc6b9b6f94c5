/** A user of s3:// on the module path: it requires the SDK's modules, as the CONFIG error says. */
module consumer.aws {
    requires dev.tenure.core;
    requires software.amazon.awssdk.services.s3;
    requires software.amazon.awssdk.http.apache5;
}
