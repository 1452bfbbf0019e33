import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The end of `make test`: every module's Surefire and Failsafe results of this run, read from their XML reports,
 * with each failing and each skipped test named (Maven's own summary stops at the first failing module, and with
 * --fail-at-end names no test of the modules after it).
 *
 * <p>Usage: {@code java hack/TestSummary.java STAMP [ROOT]}: only reports written after the file STAMP count, so
 * reports left over from an earlier run are not mistaken for this one's. Exits 1 when a test failed or erred, or
 * when no report was written; else 0.
 */
public class TestSummary {
    record Outcome(String module, String plugin, String test, String kind, String message) {
    }

    public static void main(String[] args) throws Exception {
        FileTime since = Files.getLastModifiedTime(Path.of(args[0]));
        Path root = Path.of(args.length > 1 ? args[1] : ".");
        Map<String, int[]> perModule = new TreeMap<>(); // passed, failed, skipped
        List<Outcome> notPassed = new ArrayList<>();
        for (Path report : reports(root, since)) {
            String module = root.relativize(report).getName(0).toString();
            String plugin = report.getParent().getFileName().toString().replace("-reports", "");
            int[] counts = perModule.computeIfAbsent(module, m -> new int[3]);
            for (Element tc : elements(parse(report).getDocumentElement(), "testcase")) {
                String test = tc.getAttribute("classname") + "." + tc.getAttribute("name");
                Outcome o = outcome(module, plugin, test, tc);
                if (o == null) {
                    counts[0]++;
                } else if (o.kind().equals("SKIPPED")) {
                    counts[2]++;
                    notPassed.add(o);
                } else {
                    counts[1]++;
                    notPassed.add(o);
                }
            }
        }
        int[] total = new int[3];
        System.out.println();
        System.out.println("==== test summary (this run's Surefire and Failsafe reports) ====");
        perModule.forEach((module, c) -> {
            System.out.printf("%-16s %5d passed, %d failed, %d skipped%n", module, c[0], c[1], c[2]);
            for (int i = 0; i < 3; i++) {
                total[i] += c[i];
            }
        });
        for (String kind : List.of("FAILED", "ERROR", "SKIPPED")) {
            for (Outcome o : notPassed) {
                if (o.kind().equals(kind)) {
                    System.out.printf("%-7s %s [%s %s]%s%n", kind, o.test(), o.module(), o.plugin(),
                            o.message().isEmpty() ? "" : ": " + o.message());
                }
            }
        }
        if (perModule.isEmpty()) {
            System.out.println("no test reports were written by this run (did the build fail before the tests?)");
        }
        System.out.printf("Tests: %d passed, %d failed, %d skipped%n", total[0], total[1], total[2]);
        System.exit(total[1] > 0 || perModule.isEmpty() ? 1 : 0);
    }

    private static List<Path> reports(Path root, FileTime since) throws IOException {
        try (Stream<Path> s = Files.find(root, 4, (p, a) -> a.isRegularFile()
                && p.getFileName().toString().startsWith("TEST-") && p.getFileName().toString().endsWith(".xml")
                && p.getParent().getFileName().toString().matches("(surefire|failsafe)-reports")
                && a.lastModifiedTime().compareTo(since) >= 0)) {
            return s.sorted().toList();
        }
    }

    private static Outcome outcome(String module, String plugin, String test, Element tc) {
        for (String kind : List.of("failure", "error", "skipped")) {
            List<Element> found = elements(tc, kind);
            if (!found.isEmpty()) {
                String label = switch (kind) {
                    case "failure" -> "FAILED";
                    case "error" -> "ERROR";
                    default -> "SKIPPED";
                };
                Element e = found.get(0);
                String message = e.getAttribute("message").isEmpty()
                        ? e.getTextContent().replaceFirst("^[\\w.$]+(Exception|Error): ", "") : e.getAttribute("message");
                return new Outcome(module, plugin, test, label, firstLine(message));
            }
        }
        return null;
    }

    private static String firstLine(String s) {
        String line = s.lines().findFirst().orElse("").strip();
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }

    private static Document parse(Path xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(xml.toFile());
    }

    /** Direct children named {@code name}. */
    private static List<Element> elements(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        NodeList children = parent.getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            Node n = children.item(i);
            if (n instanceof Element e && e.getTagName().equals(name)) {
                out.add(e);
            }
        }
        return out;
    }
}
