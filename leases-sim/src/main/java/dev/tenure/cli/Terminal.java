package dev.tenure.cli;

import java.io.Console;
import java.lang.reflect.Method;

/** Whether standard output is an interactive terminal, where redrawing a line with a carriage return makes sense. */
final class Terminal {

    private Terminal() {
    }

    static boolean isInteractive() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        // From Java 22 System.console() may answer even when output is redirected; isTerminal() then says which.
        try {
            Method isTerminal = Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (NoSuchMethodException e) {
            return true; // Java 17 to 21: a console exists only when both standard input and output are a terminal.
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }
}
