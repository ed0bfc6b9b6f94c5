package dev.tenure.backend.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * An HTTP client for the AWS SDK that answers from recorded responses and records every request,
 * so the S3 backend's requests and its reading of answers are tested without a server.
 *
 * <p>Answers are taken in order from one queue, or, for a method given its own queue with
 * {@link #answerFor}, from that method's queue: requests that race on two threads (a DELETE and a
 * PUT in the conditional-delete probe) then get their answers whichever is sent first.
 */
final class RecordedHttpClient implements SdkHttpClient {

    /** One canned answer: a status, headers and a body, or an I/O failure. */
    record Answer(int status, Map<String, String> headers, String body, IOException failure) {
        static Answer of(int status, Map<String, String> headers, String body) {
            return new Answer(status, headers, body, null);
        }

        static Answer failing(IOException e) {
            return new Answer(0, Map.of(), "", e);
        }
    }

    /** A request as sent, with its body. */
    record Sent(SdkHttpRequest request, byte[] body) {
        Optional<String> header(String name) {
            return request.firstMatchingHeader(name);
        }
    }

    /** Settings for a recorded test: bucket {@code tenure-test}, prefix {@code app/}, an endpoint nothing listens on. */
    static S3Settings settings(S3Profile profile, String secret) {
        return S3Settings.builder("tenure-test")
                .endpoint(java.net.URI.create("http://127.0.0.1:1"))
                .profile(profile)
                .prefix("app/")
                .credentials(S3Credentials.of("AKIDEXAMPLE", secret))
                .build();
    }

    /** An S3-style XML error body, as AWS, R2 and GCS's XML API document it. */
    static String xmlError(String code, String message) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" + message + "</Message></Error>";
    }

    private final Deque<Answer> answers = new ArrayDeque<>();
    private final Map<String, Deque<Answer>> byMethod = new HashMap<>();
    final List<Sent> sent = Collections.synchronizedList(new ArrayList<>());

    synchronized RecordedHttpClient answer(Answer answer) {
        answers.add(answer);
        return this;
    }

    /** Queues an answer for the next request with this method (GET, HEAD, PUT, DELETE). */
    synchronized RecordedHttpClient answerFor(String method, Answer answer) {
        byMethod.computeIfAbsent(method, m -> new ArrayDeque<>()).add(answer);
        return this;
    }

    /** The requests sent with this method, in order. */
    List<Sent> sent(String method) {
        synchronized (sent) {
            return sent.stream().filter(s -> s.request().method().name().equals(method)).toList();
        }
    }

    private synchronized Answer next(Sent request) {
        sent.add(request);
        Deque<Answer> own = byMethod.get(request.request().method().name());
        return own != null && !own.isEmpty() ? own.poll() : answers.poll();
    }

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
        return new ExecutableHttpRequest() {
            @Override
            public HttpExecuteResponse call() throws IOException {
                byte[] body = new byte[0];
                if (request.contentStreamProvider().isPresent()) {
                    try (InputStream in = request.contentStreamProvider().get().newStream()) {
                        body = in.readAllBytes();
                    }
                }
                Answer answer = next(new Sent(request.httpRequest(), body));
                if (answer == null) {
                    throw new AssertionError("no recorded answer left for " + request.httpRequest().method() + " "
                            + request.httpRequest().encodedPath());
                }
                if (answer.failure() != null) {
                    throw answer.failure();
                }
                SdkHttpResponse.Builder response = SdkHttpResponse.builder().statusCode(answer.status());
                answer.headers().forEach(response::putHeader);
                byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
                response.putHeader("Content-Length", String.valueOf(bytes.length));
                return HttpExecuteResponse.builder()
                        .response(response.build())
                        .responseBody(AbortableInputStream.create(new ByteArrayInputStream(bytes)))
                        .build();
            }

            @Override
            public void abort() {
            }
        };
    }

    @Override
    public void close() {
    }

}
