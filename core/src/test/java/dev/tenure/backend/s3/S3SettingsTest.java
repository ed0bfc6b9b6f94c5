package dev.tenure.backend.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class S3SettingsTest {

    @Test
    void aFullUriSetsEverything() {
        S3Settings s = S3Settings.fromUri("s3://my-bucket/some/prefix?endpoint=http://127.0.0.1:7480&region=eu-west-1"
                + "&profile=ceph&requestTimeoutMs=2500&maxConnections=8");
        assertEquals("my-bucket", s.bucket());
        assertEquals("some/prefix/", s.prefix());
        assertEquals(Optional.of(URI.create("http://127.0.0.1:7480")), s.endpoint());
        assertEquals("eu-west-1", s.region());
        assertEquals(S3Profile.CEPH, s.profile());
        assertTrue(s.pathStyle(), "ceph defaults to path-style");
        assertEquals(Duration.ofMillis(2500), s.requestTimeout());
        assertEquals(8, s.maxConnections());
        assertEquals(S3Credentials.defaultChain(), s.credentials());
    }

    @Test
    void aBareUriGetsAwsDefaults() {
        S3Settings s = S3Settings.fromUri("s3://bucket");
        assertEquals("", s.prefix());
        assertEquals(S3Profile.AWS, s.profile());
        assertFalse(s.pathStyle());
        assertEquals(Optional.empty(), s.endpoint());
    }

    @Test
    void credentialsInAUriAreRefusedAndNeverEchoed() {
        BackendException userInfo = assertThrows(BackendException.class,
                () -> S3Settings.fromUri("s3://AKID:topsecret@bucket/p"));
        assertEquals(BackendException.Kind.CONFIG, userInfo.kind());
        assertFalse(userInfo.getMessage().contains("topsecret"), userInfo.getMessage());
        BackendException param = assertThrows(BackendException.class,
                () -> S3Settings.fromUri("s3://bucket?secretKey=topsecret"));
        assertTrue(param.getMessage().contains("never taken from a URI"), param.getMessage());
        assertFalse(param.getMessage().contains("topsecret"), param.getMessage());
        BackendException endpointCreds = assertThrows(BackendException.class,
                () -> S3Settings.fromUri("s3://bucket?endpoint=http://u:topsecret@host:1"));
        assertFalse(endpointCreds.getMessage().contains("topsecret"), endpointCreds.getMessage());
    }

    @Test
    void invalidSettingsAreConfigErrorsThatNameTheProblem() {
        assertConfig("bucket name", () -> S3Settings.builder("Bad_Bucket").build());
        assertConfig("endpoint", () -> S3Settings.builder("bucket").endpoint(URI.create("ftp://x")).build());
        assertConfig("unknown S3 profile 'azure'", () -> S3Settings.fromUri("s3://bucket?profile=azure"));
        assertConfig("unknown s3 URI parameter 'colour'", () -> S3Settings.fromUri("s3://bucket?colour=blue"));
        assertConfig("timeouts must be positive", () -> S3Settings.builder("bucket").requestTimeout(Duration.ZERO).build());
        assertConfig("partSize", () -> S3Settings.builder("bucket").multipart(1 << 20, 1 << 20).build());
        assertConfig("key prefix", () -> S3Settings.builder("bucket").prefix("a//b").build());
        assertConfig("expected s3://", () -> S3Settings.fromUri("http://bucket"));
        assertConfig("maxConnections' must be a whole number, not 'many'", () -> S3Settings.fromUri("s3://bucket?maxConnections=many"));
    }

    @Test
    void staticCredentialsNeverShowTheirSecrets() {
        S3Credentials c = S3Credentials.of("AKIAEXAMPLEKEY", "the-secret", "the-session-token");
        S3Settings s = S3Settings.builder("bucket").credentials(c).build();
        for (String shown : new String[] {c.toString(), s.toString()}) {
            assertFalse(shown.contains("the-secret") || shown.contains("the-session-token") || shown.contains("AKIAEXAMPLEKEY"), shown);
        }
    }

    private static void assertConfig(String fragment, Runnable call) {
        BackendException e = assertThrows(BackendException.class, call::run);
        assertEquals(BackendException.Kind.CONFIG, e.kind());
        assertTrue(e.getMessage().contains(fragment), () -> "expected '" + fragment + "' in: " + e.getMessage());
    }
}
