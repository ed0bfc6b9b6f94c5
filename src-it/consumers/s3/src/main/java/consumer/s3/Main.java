package consumer.s3;

import dev.tenure.backend.uri.Scheme;

/** Only here so the S3 consumer is a real jar; its class path is what src-it measures. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        System.out.println("s3 consumer: " + Scheme.S3.form());
    }
}
