package dev.skiff.cli;

import picocli.CommandLine;

/** Version from the jar manifest (set by the build), "dev" when run from classes. */
final class SkiffVersion implements CommandLine.IVersionProvider {
    static String get() {
        String v = SkiffVersion.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"skiff " + get()};
    }
}
