package dev.tenure.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/** The hand-written nonce scan must find exactly what the checkers' regex found, or histories would change. */
class NonceOfTest {

    private static String byRegex(String record) {
        Matcher m = Simulation.NONCE.matcher(record);
        return m.find() ? m.group(1) : null;
    }

    @Test
    void findsWhatTheRegexFinds() {
        List<String> records = List.of(
                "{\"holder\":\"n1\",\"epoch\":3,\"nonce\":\"0a1b2c\",\"ttl\":6000}",
                "{\"nonce\":\"\",\"x\":1}",
                "{\"nonce\":\"ABC\",\"nonce\":\"abc\"}",
                "{\"nonce\":\"12g4\"}",
                "{\"nonce\":\"1234",
                "{\"nonce\":\"ff\"",
                "\"nonce\":\"\"nonce\":\"9\"",
                "no nonce here",
                "");
        for (String r : records) {
            assertEquals(byRegex(r), Simulation.nonceOf(r.getBytes(StandardCharsets.UTF_8)), r);
        }
    }
}
