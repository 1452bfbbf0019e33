package dev.skiff.kubelet.source;

import java.util.List;
import java.util.Locale;

/**
 * Which names in the manifest directory are manifests. Upstream reads every name not starting with a dot; we
 * also require a manifest extension and skip the files editors and package managers leave behind, so a
 * {@code pod.yaml~} or {@code pod.yaml.dpkg-old} never runs as a second copy of a pod.
 */
final class ManifestFiles {
    private static final List<String> EXTENSIONS = List.of(".yaml", ".yml", ".json");
    private static final List<String> JUNK_SUFFIXES = List.of("~", ".swp", ".swo", ".swx", ".bak", ".orig",
            ".rej", ".tmp", ".rpmnew", ".rpmsave", ".rpmorig");
    private static final List<String> JUNK_INFIXES = List.of(".dpkg-", ".ucf-");

    private ManifestFiles() {}

    /** True when a file with this name (no directory part) is read as a manifest. */
    static boolean accepts(String name) {
        if (name.isEmpty() || name.startsWith(".") || name.startsWith("#")) {
            return false; // dotfiles (vim .swp, emacs .# locks) and emacs #autosave#
        }
        String lower = name.toLowerCase(Locale.ROOT);
        for (String junk : JUNK_SUFFIXES) {
            if (lower.endsWith(junk)) {
                return false;
            }
        }
        for (String junk : JUNK_INFIXES) {
            if (lower.contains(junk)) {
                return false;
            }
        }
        for (String ext : EXTENSIONS) {
            if (lower.endsWith(ext) && lower.length() > ext.length()) {
                return true;
            }
        }
        return false;
    }
}
