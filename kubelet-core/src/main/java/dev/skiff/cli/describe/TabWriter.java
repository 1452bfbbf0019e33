package dev.skiff.cli.describe;

import java.util.ArrayList;
import java.util.List;

/**
 * Go's text/tabwriter as kubectl describe sets it up ({@code NewWriter(out, 0, 8, 2, ' ', 0)}): tab-terminated
 * cells line up in columns; a column block is a run of consecutive lines that have a cell in that column, and
 * each block is as wide as its widest cell plus 2 spaces. The text after a line's last tab belongs to no column.
 * {@link #flush()} ends every block, so text written after it aligns on its own.
 */
final class TabWriter {
    private static final int PADDING = 2;

    private final StringBuilder out = new StringBuilder();
    private final StringBuilder pending = new StringBuilder();

    void write(String text) {
        pending.append(text);
    }

    /** Formats what was written since the last flush. */
    void flush() {
        String text = pending.toString();
        pending.setLength(0);
        if (text.isEmpty()) {
            return;
        }
        boolean endsWithNewline = text.endsWith("\n");
        String[] rawLines = (endsWithNewline ? text.substring(0, text.length() - 1) : text).split("\n", -1);
        List<List<String>> lines = new ArrayList<>();
        for (String l : rawLines) {
            lines.add(List.of(l.split("\t", -1)));
        }
        List<Integer> widths = new ArrayList<>();
        format(lines, widths, 0, lines.size());
        if (!endsWithNewline) {
            out.setLength(out.length() - 1); // the last line had no newline
        }
    }

    /** Everything written, formatted. */
    String result() {
        flush();
        return out.toString();
    }

    private void format(List<List<String>> lines, List<Integer> widths, int line0, int line1) {
        int column = widths.size();
        for (int i = line0; i < line1; i++) {
            if (column >= lines.get(i).size() - 1) {
                continue;
            }
            writeLines(lines, widths, line0, i);
            line0 = i;
            int width = 0;
            for (; i < line1; i++) {
                List<String> line = lines.get(i);
                if (column >= line.size() - 1) {
                    break;
                }
                width = Math.max(width, line.get(column).codePointCount(0, line.get(column).length()) + PADDING);
            }
            widths.add(width);
            format(lines, widths, line0, i);
            widths.remove(widths.size() - 1);
            line0 = i; // line i has no cell in this column: the loop's increment passes it, as Go's does
        }
        writeLines(lines, widths, line0, line1);
    }

    private void writeLines(List<List<String>> lines, List<Integer> widths, int from, int to) {
        for (int i = from; i < to; i++) {
            List<String> cells = lines.get(i);
            for (int j = 0; j < cells.size(); j++) {
                String c = cells.get(j);
                out.append(c);
                if (j < widths.size() && j < cells.size() - 1) {
                    out.append(" ".repeat(Math.max(0, widths.get(j) - c.codePointCount(0, c.length()))));
                }
            }
            out.append('\n');
        }
    }
}
