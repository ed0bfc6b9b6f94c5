package consumer.s3;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.uri.BackendUris;

/**
 * A user of s3:// with the AWS SDK on its path: opening reaches the store (here a closed port, so
 * the answer is a transport failure), never a missing class. src-it runs it on the module path.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        System.out.println("module: " + (Main.class.getModule().isNamed() ? Main.class.getModule().getName() : "unnamed"));
        String uri = args.length > 0 ? args[0] : "s3://bucket/prefix?endpoint=http://127.0.0.1:9&region=us-east-1";
        try (AtomicRemoteBackend backend = BackendUris.openAtomic(uri)) {
            System.out.println("s3: opened " + backend.name());
            backend.read("probe");
            System.out.println("s3: read answered");
        } catch (BackendException e) {
            System.out.println("s3: " + e.kind() + ": " + e.getMessage());
        }
    }
}
