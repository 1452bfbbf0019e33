package dev.skiff.kubelet.kuberuntime;

import java.util.Map;
import java.util.function.Function;

/**
 * The {@code $(VAR)} expansion of env values, command and args (upstream
 * third_party/forked/golang/expansion): {@code $$} is an escaped {@code $}, an unknown or
 * unterminated reference stays as written, a {@code $} before anything else is kept.
 */
public final class Expansion {
    private Expansion() {
    }

    /** A mapping that looks {@code name} up in {@code vars} and leaves {@code $(name)} as is when absent. */
    public static Function<String, String> mappingFor(Map<String, String> vars) {
        return name -> {
            String v = vars.get(name);
            return v != null ? v : "$(" + name + ")";
        };
    }

    public static String expand(String input, Map<String, String> vars) {
        return expand(input, mappingFor(vars));
    }

    public static String expand(String input, Function<String, String> mapping) {
        StringBuilder out = new StringBuilder(input.length());
        int checkpoint = 0;
        for (int cursor = 0; cursor < input.length(); cursor++) {
            if (input.charAt(cursor) != '$' || cursor + 1 >= input.length()) {
                continue;
            }
            out.append(input, checkpoint, cursor);
            char next = input.charAt(cursor + 1);
            int advance = 1;
            if (next == '$') {
                out.append('$');
            } else if (next == '(') {
                int close = input.indexOf(')', cursor + 2);
                if (close >= 0) {
                    out.append(mapping.apply(input.substring(cursor + 2, close)));
                    advance = close - cursor;
                } else {
                    out.append("$(");
                }
            } else {
                out.append('$').append(next);
            }
            cursor += advance;
            checkpoint = cursor + 1;
        }
        out.append(input, Math.min(checkpoint, input.length()), input.length());
        return out.toString();
    }
}
