package dev.tenure.backend.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.Secret;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * JSON-over-HTTP POSTs with a bearer token, for the backends that speak a JSON API: bodies are
 * built as Jackson trees (never by string concatenation), sent through {@link HttpCalls#send}, and
 * answered with the status and the parsed body. Redirects are never followed, so the token never
 * travels to a host it was not configured for.
 */
public final class JsonHttp {

    /**
     * What came back.
     *
     * @param status the HTTP status
     * @param json the body parsed as JSON, or null when it is not JSON
     * @param text the body as text, with the token (if it appears) replaced
     */
    public record Answer(int status, JsonNode json, String text) {

        /** True for a 2xx status. */
        public boolean ok() {
            return status >= 200 && status <= 299;
        }
    }

    private final HttpClient client;
    private final ObjectMapper mapper = new ObjectMapper();
    private final Optional<Secret> token;
    private final Duration requestTimeout;

    /** A client with its own connection pool. */
    public JsonHttp(Duration connectTimeout, Duration requestTimeout, Optional<Secret> token) {
        this.client = HttpClient.newBuilder()
                .connectTimeout(Objects.requireNonNull(connectTimeout, "connectTimeout"))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
        this.token = Objects.requireNonNull(token, "token");
    }

    /** A new empty JSON object to fill in. */
    public ObjectNode object() {
        return mapper.createObjectNode();
    }

    /**
     * POSTs {@code body} to {@code uri} and returns the answer whatever its status.
     *
     * @throws BackendException TRANSPORT when no answer arrived (see {@link HttpCalls#send})
     */
    public Answer post(URI uri, JsonNode body, String key, HttpCalls.Op op, String where) {
        byte[] bytes;
        try {
            bytes = mapper.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw BackendException.internal(key, where + ": cannot encode the request: " + e.getOriginalMessage(), e);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
        token.ifPresent(t -> request.header("Authorization", "Bearer " + t.reveal()));
        HttpResponse<byte[]> response = HttpCalls.send(client, request.build(), HttpResponse.BodyHandlers.ofByteArray(),
                key, op, where);
        String text = scrub(new String(response.body(), StandardCharsets.UTF_8));
        return new Answer(response.statusCode(), parse(response.body()), text);
    }

    private JsonNode parse(byte[] body) {
        try {
            return body.length == 0 ? null : mapper.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    /** {@code text} with every occurrence of the token replaced, for messages built from a server's words. */
    public String scrub(String text) {
        if (text == null || token.isEmpty()) {
            return text;
        }
        return text.replace(token.get().reveal(), "[token hidden]");
    }
}
