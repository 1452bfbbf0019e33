package dev.skiff.cli.describe;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TabWriterTest {
    private static String format(String text) {
        TabWriter w = new TabWriter();
        w.write(text);
        return w.result();
    }

    @Test
    void cellsOfConsecutiveLinesAlignWithTwoSpacesPastTheWidest() {
        assertEquals("""
                Name:             web
                Service Account:  default
                """, format("Name:\tweb\nService Account:\tdefault\n"));
    }

    @Test
    void aLineWithoutTheColumnEndsTheBlock() {
        assertEquals("""
                Name:  web
                Containers:
                  app:
                    Image:  busybox
                    Port:   8080/TCP
                """, format("Name:\tweb\nContainers:\n  app:\n    Image:\tbusybox\n    Port:\t8080/TCP\n"));
    }

    @Test
    void nestedColumnsAndTrailingTextAsGoDoes() {
        // the second column spans only the lines that have a third cell; the last cell of a line is not a column
        assertEquals("""
                a    bb  c
                aaa  b   cccc
                x    y
                """, format("a\tbb\tc\naaa\tb\tcccc\nx\ty\n"));
        assertEquals("""
                Type     Reason   Age
                ----     ------   ---
                Warning  BackOff  2m
                """, format("Type\tReason\tAge\n----\t------\t---\nWarning\tBackOff\t2m\n"));
    }

    @Test
    void flushSeparatesBlocks() {
        TabWriter w = new TabWriter();
        w.write("Longer name:\tx\n");
        w.flush();
        w.write("N:\ty\n");
        assertEquals("Longer name:  x\nN:  y\n", w.result());
    }

    @Test
    void emptyCellsPadAndWidthCountsCharacters() {
        assertEquals("é  x\n   y\n", format("é\tx\n\ty\n"));
    }
}
