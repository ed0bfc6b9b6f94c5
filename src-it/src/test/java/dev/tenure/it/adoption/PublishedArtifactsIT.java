package dev.tenure.it.adoption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * What Maven Central asks of every published artifact, checked on the build's own output: a jar, a
 * sources jar and a javadoc jar; a pom with name, description, url, licence, developers and scm (a
 * module may inherit the last four from the parent, which is published too). Signing is left to the
 * release. Modules that are tests or examples must never be published.
 */
class PublishedArtifactsIT {

    private static final Path ROOT = Path.of(System.getProperty("tenure.root", "..")).toAbsolutePath().normalize();
    /** Directory of each published module, by artifact id. */
    private static final Map<String, String> PUBLISHED = Map.of("tenure-core", "core", "tenure-lease", "lease", "tenure-sim",
            "leases-sim");
    private static final List<String> NEVER_PUBLISHED = List.of("src-it", "src-it/consumers/local", "src-it/consumers/s3");

    @Test
    void everyPublishedModuleHasItsJarsAndMetadata() throws Exception {
        Element parent = pom(ROOT.resolve("pom.xml"));
        String version = text(parent, "version");
        List<String> problems = new ArrayList<>();
        for (String field : new String[] {"name", "description", "url"}) {
            if (text(parent, field).isBlank()) {
                problems.add("parent pom: no <" + field + ">");
            }
        }
        requireNested(parent, problems, "licenses", "license", "name", "url");
        requireNested(parent, problems, "developers", "developer", "name");
        requireNested(parent, problems, "scm", null, "url", "connection");
        for (Map.Entry<String, String> module : PUBLISHED.entrySet()) {
            Element pom = pom(ROOT.resolve(module.getValue()).resolve("pom.xml"));
            assertEquals(module.getKey(), text(pom, "artifactId"));
            for (String field : new String[] {"name", "description"}) {
                if (text(pom, field).isBlank()) {
                    problems.add(module.getKey() + ": no <" + field + ">");
                }
            }
            Path target = ROOT.resolve(module.getValue()).resolve("target");
            for (String classifier : new String[] {"", "-sources", "-javadoc"}) {
                Path jar = target.resolve(module.getKey() + "-" + version + classifier + ".jar");
                if (!Files.isRegularFile(jar)) {
                    problems.add(module.getKey() + ": missing " + jar.getFileName());
                    continue;
                }
                try (JarFile file = new JarFile(jar.toFile())) {
                    if (file.size() < 2) {
                        problems.add(module.getKey() + ": " + jar.getFileName() + " is empty");
                    }
                    if (classifier.equals("-javadoc") && file.getEntry("index.html") == null) {
                        problems.add(module.getKey() + ": " + jar.getFileName() + " has no index.html");
                    }
                    if (classifier.isEmpty() && (file.getEntry("META-INF/LICENSE") == null || file.getEntry("META-INF/NOTICE") == null)) {
                        problems.add(module.getKey() + ": " + jar.getFileName() + " carries no META-INF/LICENSE and NOTICE");
                    }
                }
            }
            System.out.println("[publish] " + module.getKey() + ": jar, sources, javadoc and pom metadata present");
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void everyModuleOfTheBuildIsClassified() throws Exception {
        Element modules = child(pom(ROOT.resolve("pom.xml")), "modules");
        List<String> declared = new ArrayList<>();
        for (Node n = modules.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals("module")) {
                declared.add(e.getTextContent().trim());
            }
        }
        List<String> known = new ArrayList<>(PUBLISHED.values());
        known.addAll(NEVER_PUBLISHED);
        assertEquals(new java.util.TreeSet<>(known), new java.util.TreeSet<>(declared),
                "a module is either checked as published or listed as never published");
    }

    @Test
    void testAndExampleModulesAreNeverPublished() throws Exception {
        for (String dir : NEVER_PUBLISHED) {
            Element pom = pom(ROOT.resolve(dir).resolve("pom.xml"));
            Element properties = child(pom, "properties");
            assertTrue(properties != null && "true".equals(text(properties, "maven.deploy.skip")),
                    dir + " must set maven.deploy.skip");
            assertFalse(PUBLISHED.containsKey(text(pom, "artifactId")));
        }
    }

    private static void requireNested(Element parent, List<String> problems, String outer, String inner, String... fields) {
        Element e = child(parent, outer);
        if (e != null && inner != null) {
            e = child(e, inner);
        }
        if (e == null) {
            problems.add("parent pom: no <" + outer + ">" + (inner == null ? "" : "<" + inner + ">"));
            return;
        }
        for (String f : fields) {
            if (text(e, f).isBlank()) {
                problems.add("parent pom: no <" + f + "> in <" + outer + ">");
            }
        }
    }

    private static Element pom(Path file) throws Exception {
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
        return doc.getDocumentElement();
    }

    private static Element child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        return null;
    }

    private static String text(Element parent, String name) {
        Element e = child(parent, name);
        return e == null ? "" : e.getTextContent().trim();
    }
}
