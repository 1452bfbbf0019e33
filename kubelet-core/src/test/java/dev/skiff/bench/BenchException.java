package dev.skiff.bench;

/** Measuring became impossible. */
final class BenchException extends RuntimeException {
    BenchException(String message) {
        super(message);
    }
}
