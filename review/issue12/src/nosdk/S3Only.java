import dev.tenure.backend.*;
import dev.tenure.backend.uri.*;
public class S3Only {
  public static void main(String[] a) {
    for (String u : new String[]{"s3://bucket/prefix?region=us-east-1&endpoint=http://127.0.0.1:9", "s3://AKIA:hunter2@bucket/p?region=us-east-1"}) {
    try { System.out.println("OK " + BackendUris.openAtomic(u)); }
    catch (BackendException e) { System.out.println("ERR " + e.kind() + ": " + e.getMessage()); }
    catch (Throwable t) { System.out.println("THROW " + t); }
    }
  }
}
