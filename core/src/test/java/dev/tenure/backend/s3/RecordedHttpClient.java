package dev.tenure.backend.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
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

    private final Deque<Answer> answers = new ArrayDeque<>();
    final List<Sent> sent = new ArrayList<>();

    RecordedHttpClient answer(Answer answer) {
        answers.add(answer);
        return this;
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
                sent.add(new Sent(request.httpRequest(), body));
                Answer answer = answers.poll();
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
