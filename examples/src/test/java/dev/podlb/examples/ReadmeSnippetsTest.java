package dev.podlb.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
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

/**
 * Every Java snippet of the README compiles exactly as written, with the imports it shows: a user
 * copying one gets code that builds. Each block's import lines go on top of a class; the rest of the
 * block becomes the body of a method, so a snippet is a sequence of statements that declares what
 * it uses.
 */
class ReadmeSnippetsTest {
    private static final Path README = Path.of("..", "README.md");

    record Snippet(int line, String source) {}

    static List<Snippet> javaSnippets() throws IOException {
        List<String> lines = Files.readAllLines(README, StandardCharsets.UTF_8);
        List<Snippet> snippets = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals("```java")) {
                int start = i + 1;
                StringBuilder imports = new StringBuilder();
                StringBuilder body = new StringBuilder();
                for (i = start; !lines.get(i).strip().equals("```"); i++) {
                    String line = lines.get(i);
                    (line.startsWith("import ") ? imports : body).append(line).append('\n');
                }
                String name = "Snippet" + start;
                snippets.add(new Snippet(start, imports + "\nclass " + name + " {\n    void run() throws Exception {\n"
                        + body + "    }\n}\n"));
            }
        }
        return snippets;
    }

    @Test
    void everyJavaSnippetCompilesAsWritten() throws IOException {
        List<Snippet> snippets = javaSnippets();
        assertThat(snippets).as("Java snippets in the README").hasSizeGreaterThanOrEqualTo(5);
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        List<String> failures = new ArrayList<>();
        Path out = Files.createTempDirectory("readme-snippets");
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        for (Snippet snippet : snippets) {
            DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
            JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///Snippet" + snippet.line() + ".java"),
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
        assertThat(failures).as("snippets that do not compile").isEmpty();
    }
}
