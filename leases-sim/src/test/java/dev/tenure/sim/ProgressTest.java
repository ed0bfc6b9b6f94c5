package dev.tenure.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressTest {

    @Test
    void offATerminalALineAtEachTenthAndAtTheEnd() {
        StringWriter text = new StringWriter();
        long[] now = {0};
        Progress p = Progress.of(new PrintWriter(text), false, 95, () -> now[0]);
        for (int done = 1; done <= 95; done++) {
            now[0] += 100_000_000L;
            p.update(done, done >= 50 ? 1 : 0);
        }
        List<String> lines = text.toString().lines().toList();
        assertEquals(10, lines.size(), text.toString());
        assertEquals("progress: 10/95 seeds (10%), 0 failing, 1.0 s", lines.get(0));
        assertEquals("progress: 95/95 seeds (100%), 1 failing, 9.5 s", lines.get(9));
    }

    @Test
    void onATerminalOneBarRedrawnAndEndedBeforeOtherOutput() {
        StringWriter text = new StringWriter();
        Progress p = Progress.of(new PrintWriter(text), true, 2);
        p.update(1, 0);
        p.interrupt();
        p.interrupt();
        p.update(2, 0);
        assertEquals("\r[####################....................] 1/2 seeds, 0 failing\n"
                + "\r[########################################] 2/2 seeds, 0 failing", text.toString());
    }
}
