package dev.skiff.kubelet.stats;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A sample's labels, sorted by name as the client library writes them, with their exposition text
 * ({@code a="1",b="2"}, values escaped) made once: a container's dozen metrics share one set, and a set plus one
 * label (cAdvisor's {@code cpu}, {@code device}, {@code interface}) is made once per device or interface. The text
 * is kept as UTF-8 bytes too, so a sample's labels are one array copy.
 */
final class LabelSet {
    static final LabelSet EMPTY = new LabelSet(new String[0], new String[0]);

    private final String[] names;
    private final String[] values;
    private final String text;
    private final byte[] utf8;

    private LabelSet(String[] names, String[] values) {
        this.names = names;
        this.values = values;
        StringBuilder b = new StringBuilder(names.length * 32);
        for (int i = 0; i < names.length; i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(names[i]).append("=\"");
            escape(values[i], b);
            b.append('"');
        }
        this.text = b.toString();
        this.utf8 = text.getBytes(StandardCharsets.UTF_8);
    }

    /** Labels from name, value pairs, in any order; names must be distinct. */
    static LabelSet of(String... nameValues) {
        if (nameValues.length % 2 != 0) {
            throw new IllegalArgumentException("labels come in name, value pairs: " + Arrays.toString(nameValues));
        }
        LabelSet out = EMPTY;
        for (int i = 0; i < nameValues.length; i += 2) {
            out = out.with(nameValues[i], nameValues[i + 1]);
        }
        return out;
    }

    /** These labels and one more, kept sorted. */
    LabelSet with(String name, String value) {
        int at = Arrays.binarySearch(names, name);
        if (at >= 0) {
            throw new IllegalArgumentException("label " + name + " is set twice");
        }
        int insert = -at - 1;
        String[] n = new String[names.length + 1];
        String[] v = new String[values.length + 1];
        System.arraycopy(names, 0, n, 0, insert);
        System.arraycopy(values, 0, v, 0, insert);
        n[insert] = name;
        v[insert] = value;
        System.arraycopy(names, insert, n, insert + 1, names.length - insert);
        System.arraycopy(values, insert, v, insert + 1, values.length - insert);
        return new LabelSet(n, v);
    }

    boolean isEmpty() {
        return names.length == 0;
    }

    /** {@code a="1",b="2"}, without braces. */
    String text() {
        return text;
    }

    /** {@link #text()} as UTF-8, what every sample with these labels copies. */
    byte[] utf8() {
        return utf8;
    }

    /** The exposition formats' label value escapes: backslash, double quote, line feed. */
    private static void escape(String value, StringBuilder out) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
    }

    @Override
    public String toString() {
        return "{" + text + "}";
    }
}
