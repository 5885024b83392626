package dev.podlb.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every Java snippet of the README compiles exactly as written, with the imports it shows: a user
 * copying one gets code that builds. Each block's import lines go on top of a class; the rest of the
 * block becomes the body of a method, so a snippet is a sequence of statements that declares what
 * it uses. The snippet of "Try it locally" also runs: against lb-testing's DNS server and pods, as
 * a user running it would.
 */
class ReadmeSnippetsTest {
    private static final Path README = Path.of("..", "README.md");
    private static final String TRY_IT_LOCALLY = "## Try it locally, or in your tests";

    /** A Java block of the README: its first line, the section it is in, and the class it becomes. */
    record Snippet(int line, String section, String source) {
        String className() {
            return "Snippet" + line;
        }
    }

    static List<Snippet> javaSnippets() throws IOException {
        List<String> lines = Files.readAllLines(README, StandardCharsets.UTF_8);
        List<Snippet> snippets = new ArrayList<>();
        String section = "";
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("## ")) {
                section = lines.get(i);
            }
            if (lines.get(i).strip().equals("```java")) {
                int start = i + 1;
                StringBuilder imports = new StringBuilder();
                StringBuilder body = new StringBuilder();
                for (i = start; !lines.get(i).strip().equals("```"); i++) {
                    String line = lines.get(i);
                    (line.startsWith("import ") ? imports : body).append(line).append('\n');
                }
                String name = "Snippet" + start;
                snippets.add(new Snippet(start, section, imports + "\npublic class " + name + " {\n"
                        + "    public void run() throws Exception {\n" + body + "    }\n}\n"));
            }
        }
        return snippets;
    }

    @Test
    void everyJavaSnippetCompilesAsWritten() throws IOException {
        List<Snippet> snippets = javaSnippets();
        assertThat(snippets).as("Java snippets in the README").hasSizeGreaterThanOrEqualTo(5);
        assertThat(compile(snippets, Files.createTempDirectory("readme-snippets"))).as("snippets that do not compile").isEmpty();
    }

    @Test
    @Timeout(60)
    void theTryItLocallySnippetRunsAgainstTheTestDnsServerAndLocalPods() throws Exception {
        Snippet local = javaSnippets().stream().filter(s -> s.section().equals(TRY_IT_LOCALLY)).findFirst().orElseThrow();
        Path out = Files.createTempDirectory("readme-local");
        assertThat(compile(List.of(local), out)).isEmpty();
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream console = System.out;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {out.toUri().toURL()}, getClass().getClassLoader())) {
            Object snippet = loader.loadClass(local.className()).getConstructor().newInstance();
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            snippet.getClass().getMethod("run").invoke(snippet);
        } finally {
            System.setOut(console);
        }
        List<String> lines = printed.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines.subList(0, 6)).as("the six calls' answers").containsOnly("127.0.0.2", "127.0.0.3", "127.0.0.4")
                .contains("127.0.0.2", "127.0.0.3", "127.0.0.4");
        assertThat(lines.get(6)).as("requests 127.0.0.2 received").isEqualTo("2");
    }

    /** Compiles {@code snippets} into {@code out}; returns why each that failed did. */
    private static List<String> compile(List<Snippet> snippets, Path out) {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        List<String> failures = new ArrayList<>();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        for (Snippet snippet : snippets) {
            DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
            JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///" + snippet.className() + ".java"),
                    JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return snippet.source();
                }
            };
            boolean compiled = compiler.getTask(null, null, diagnostics,
                    List.of("-classpath", classPath, "-d", out.toString(), "-proc:none"), null, List.of(file)).call();
            if (!compiled) {
                StringBuilder why = new StringBuilder("README line " + snippet.line() + ":");
                for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                    why.append("\n  ").append(d.getMessage(Locale.ROOT));
                }
                failures.add(why.toString());
            }
        }
        return failures;
    }
}
