package dev.skiff.kubelet.pod;

import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps file content out of messages. A manifest may be a symlink to any file on the host (a key, a token): what a
 * refusal says about it goes to the log and to {@code /manifests/errors}, so parser messages are stripped of the
 * snippets they quote, and values are named only when they are short identifiers (a kind, a tag).
 */
final class SafeText {
    private static final int MAX_MESSAGE = 240;
    /** A Kubernetes kind is UpperCamelCase; an apiVersion is [group/]v1, v1beta1, ... */
    private static final Pattern KIND = Pattern.compile("[A-Z][A-Za-z0-9]{0,62}");
    private static final Pattern API_VERSION = Pattern.compile("([a-z0-9-]+(\\.[a-z0-9-]+)*/)?v[0-9]+((alpha|beta)[0-9]+)?");
    /** A quoted snippet: '...', "..." or `...` (no line breaks, as parsers quote them). */
    private static final Pattern QUOTED = Pattern.compile("'([^'\\n]*)'|\"([^\"\\n]*)\"|`([^`\\n]*)`");
    /** What the snippet-free messages of SnakeYAML and Jackson may still quote. */
    private static final Set<String> KEPT = Set.of("null", "true", "false", "\\t(TAB)", "\\t", "reader");
    private static final Pattern TOKEN_ID = Pattern.compile("<[a-z ]+>|[\\[\\]{}:,?!&*#|>@%-]");
    /** Unquoted content some SnakeYAML messages end with, e.g. "but found x" or "tag handle !foo!". */
    private static final Pattern TRAILING = Pattern.compile(
            "(but found:?|found undefined tag handle|found unknown escape character|found a tab character where an"
                    + " indentation space is expected|unknown tag) (?!['\"`]).*$");
    private static final Pattern CHAR_CODE = Pattern.compile(" ?\\((CTRL-CHAR, )?code \\d+\\)");
    private static final Pattern SOURCE = Pattern.compile("\\s*\\(?(at )?\\[Source: .*$|\\s*in 'reader'.*$");

    private SafeText() {}

    /** {@code "Kind"} when the value looks like a kind, else empty: what a file says is shown only when harmless. */
    static String kind(String value) {
        return quotedIf(value, KIND);
    }

    /** {@code "group/v1"} when the value looks like an apiVersion, else empty. */
    static String apiVersion(String value) {
        return quotedIf(value, API_VERSION);
    }

    private static String quotedIf(String value, Pattern shape) {
        return value != null && value.length() <= 63 && shape.matcher(value).matches() ? '"' + value + "\" " : "";
    }

    /**
     * The first line of a parser's message with every quoted snippet that is not punctuation or a token name
     * replaced by {@code '…'}, trailing content cut, and the length bounded.
     */
    static String parserMessage(String message) {
        if (message == null || message.isBlank()) {
            return "unreadable content";
        }
        String first = message.strip().lines().findFirst().orElse("");
        first = CHAR_CODE.matcher(SOURCE.matcher(first).replaceAll("")).replaceAll("");
        Matcher q = QUOTED.matcher(first);
        StringBuilder out = new StringBuilder();
        while (q.find()) {
            String inner = q.group(1) != null ? q.group(1) : q.group(2) != null ? q.group(2) : q.group(3);
            boolean keep = KEPT.contains(inner) || TOKEN_ID.matcher(inner).matches();
            q.appendReplacement(out, Matcher.quoteReplacement(keep ? q.group() : "'…'"));
        }
        q.appendTail(out);
        String s = TRAILING.matcher(out).replaceAll("$1 …");
        if (s.length() > MAX_MESSAGE) {
            s = s.substring(0, MAX_MESSAGE) + "…";
        }
        return s.strip();
    }
}
