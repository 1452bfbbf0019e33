package dev.skiff.cri.streaming;

/** A terminal size as the resize stream sends it ({@code {"Width":80,"Height":24}}). */
public record TerminalSize(int width, int height) {}
