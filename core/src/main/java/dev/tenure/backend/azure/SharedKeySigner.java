package dev.tenure.backend.azure;

import dev.tenure.backend.Secret;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Shared Key authorisation for the Blob service, as Microsoft's "Authorize with Shared Key"
 * documents it for version 2015-02-21 and later: an HMAC-SHA256, under the base64-decoded account
 * key, of the verb, eleven standard headers (an empty line each when absent, and a Content-Length
 * of 0 as empty), the {@code x-ms-} headers (lower-case, sorted, {@code name:value}) and the
 * canonicalised resource ({@code /account}, the encoded URL path, then each query parameter,
 * lower-case name, decoded values sorted and joined by commas, sorted by name).
 */
final class SharedKeySigner {

    /** The standard headers signed, in their order. */
    private static final List<String> STANDARD = List.of("Content-Encoding", "Content-Language", "Content-Length",
            "Content-MD5", "Content-Type", "Date", "If-Modified-Since", "If-Match", "If-None-Match", "If-Unmodified-Since",
            "Range");

    private SharedKeySigner() {
    }

    /**
     * The string to sign.
     *
     * @param headers every header the request carries, by name (any case)
     */
    static String stringToSign(String method, URI url, Map<String, String> headers, String account) {
        Map<String, String> byName = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        byName.putAll(headers);
        StringBuilder s = new StringBuilder(method).append('\n');
        for (String name : STANDARD) {
            String value = byName.getOrDefault(name, "");
            if (name.equals("Content-Length") && value.equals("0")) {
                value = "";
            }
            s.append(value).append('\n');
        }
        TreeMap<String, String> msHeaders = new TreeMap<>();
        headers.forEach((name, value) -> {
            String lower = name.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("x-ms-")) {
                msHeaders.put(lower, value.strip());
            }
        });
        msHeaders.forEach((name, value) -> s.append(name).append(':').append(value).append('\n'));
        s.append('/').append(account).append(url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath());
        TreeMap<String, List<String>> query = new TreeMap<>();
        if (url.getRawQuery() != null && !url.getRawQuery().isEmpty()) {
            for (String pair : url.getRawQuery().split("&")) {
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq)).toLowerCase(java.util.Locale.ROOT);
                query.computeIfAbsent(name, n -> new ArrayList<>()).add(eq < 0 ? "" : decode(pair.substring(eq + 1)));
            }
        }
        query.forEach((name, values) -> {
            values.sort(null);
            s.append('\n').append(name).append(':').append(String.join(",", values));
        });
        return s.toString();
    }

    /** The {@code Authorization} header value: {@code SharedKey account:signature}. */
    static String authorization(String account, Secret key, String stringToSign) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(key.reveal()), "HmacSHA256"));
            byte[] signature = mac.doFinal(stringToSign.getBytes(StandardCharsets.UTF_8));
            return "SharedKey " + account + ":" + Base64.getEncoder().encodeToString(signature);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
        }
    }

    private static String decode(String s) {
        // URLDecoder reads '+' as a space; in a URL query '+' is sent as %2B by this backend, so a literal '+' stays '+'.
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
