package dev.tenure.lease;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;

/**
 * Compiles a small Java source against this module's test classpath, to prove that a program does
 * (or does not) compile: the way to test that a type is refused where the type system promises it.
 */
final class CompileCheck {

    /**
     * What the compiler said.
     *
     * @param compiled true when it compiled
     * @param errors each error as "line: message"
     */
    record Outcome(boolean compiled, List<String> errors) {

        /** True when an error on {@code line} contains every one of {@code fragments}. */
        boolean hasErrorAt(long line, String... fragments) {
            return errors.stream().anyMatch(e -> e.startsWith(line + ": ") && Stream.of(fragments).allMatch(e::contains));
        }
    }

    private CompileCheck() {
    }

    /** Compiles {@code source}, the text of the public or package-private class {@code className} in package {@code probe}. */
    static Outcome compile(String className, String source) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("no Java compiler in this runtime (a JRE, not a JDK?)");
        }
        JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///probe/" + className + ".java"), JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return source;
            }
        };
        Path out;
        try {
            out = Files.createTempDirectory("tenure-compile-check-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
            List<String> options = List.of("-classpath", classpath(), "-d", out.toString(), "-proc:none", "-Xlint:none");
            boolean compiled = javac.getTask(null, null, diagnostics, options, null, List.of(file)).call();
            List<String> errors = new ArrayList<>();
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                if (d.getKind() == Diagnostic.Kind.ERROR) {
                    errors.add(d.getLineNumber() + ": " + d.getMessage(Locale.ROOT).replaceAll("\\s+", " "));
                }
            }
            return new Outcome(compiled, errors);
        } finally {
            deleteQuietly(out);
        }
    }

    /**
     * The test classpath. Surefire may run tests from a manifest-only jar, in which case
     * {@code java.class.path} holds just that jar and the real path is in {@code surefire.test.class.path}.
     */
    private static String classpath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path", "") + File.pathSeparator;
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a temporary directory of class files
        }
    }
}
