import dev.tenure.backend.*;
import dev.tenure.backend.uri.*;
import dev.tenure.backend.s3.*;
import dev.tenure.backend.probe.*;
import java.util.*;
public class NoSdk {
  static void t(String what, java.util.concurrent.Callable<Object> c) {
    try { System.out.println("OK    " + what + " -> " + c.call()); }
    catch (BackendException e) { System.out.println("ERR   " + what + " -> " + e.kind() + ": " + e.getMessage()); }
    catch (Throwable e) { System.out.println("THROW " + what + " -> " + e); }
  }
  public static void main(String[] a) throws Exception {
    t("schemes", () -> Arrays.toString(Scheme.values()) + Scheme.allForms());
    t("open http", () -> BackendUris.open("http://127.0.0.1:9/p/"));
    t("open https", () -> BackendUris.open("https://127.0.0.1:9/p/"));
    t("openAtomic http enforced", () -> BackendUris.openAtomic("http://127.0.0.1:9/p/?preconditions=enforced"));
    t("open libsql", () -> BackendUris.open("libsql://127.0.0.1:9?tokenFile=/tmp/review/tok"));
    t("open d1", () -> BackendUris.open("d1://acct/db?tokenFile=/tmp/review/tok"));
    t("mem put", () -> { AtomicRemoteBackend b = BackendUris.openAtomic("mem:"); return b.put("k", new byte[]{1}, ConditionalPut.IfAbsent.INSTANCE); });
    t("S3Profile.values", () -> Arrays.toString(S3Profile.values()));
    t("S3Settings.fromUri", () -> S3Settings.fromUri("s3://bucket/prefix?region=us-east-1"));
    t("S3Credentials", () -> S3Credentials.class.getName());
    t("S3Backend.open", () -> S3Backend.open("s3://bucket/prefix?region=us-east-1"));
    t("probe mem", () -> CapabilityProbe.class.getName());
  }
}
