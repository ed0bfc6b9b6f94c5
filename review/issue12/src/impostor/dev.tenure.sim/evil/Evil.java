package evil;
import dev.tenure.lease.protocol.LeaseMachine;
import java.lang.invoke.*;
public class Evil {
  public static void main(String[] a) throws Throwable {
    System.out.println("protocol type reachable at compile time: " + LeaseMachine.class.getName());
    MethodHandles.Lookup l = MethodHandles.privateLookupIn(dev.tenure.ledger.Ledger.class, MethodHandles.lookup());
    Class<?> sw = Class.forName("dev.tenure.ledger.LedgerWriterMachine$Switch", false, dev.tenure.ledger.Ledger.class.getClassLoader());
    System.out.println("ledger switches reached: " + java.util.Arrays.toString(sw.getEnumConstants()));
  }
}
