package dev.skiff.kubelet.controller;

import java.util.Map;
import java.util.TreeMap;

/** Values printed as upstream's field errors print them (Go's {@code %#v}, {@code %q}). */
final class GoValues {
    private GoValues() {}

    /** {@code map[string]string{"app":"web"}}, keys sorted as Go prints them. */
    static String stringMap(Map<String, String> m) {
        StringBuilder b = new StringBuilder("map[string]string{");
        boolean first = true;
        for (Map.Entry<String, String> e : new TreeMap<>(m == null ? Map.of() : m).entrySet()) {
            if (!first) {
                b.append(", ");
            }
            first = false;
            b.append(quote(e.getKey())).append(':').append(quote(e.getValue()));
        }
        return b.append('}').toString();
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
