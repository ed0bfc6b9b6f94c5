package c;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.uri.BackendUris;
public class M {
  public static void main(String[] a) {
    try { System.out.println("opened " + BackendUris.openAtomic("s3://bucket/p?region=us-east-1&endpoint=http://127.0.0.1:9")); }
    catch (BackendException e) { System.out.println("ERR " + e.kind() + ": " + e.getMessage()); }
    catch (Throwable t) { System.out.println("THROW " + t); }
  }
}
