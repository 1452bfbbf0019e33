package dev.skiff.kubelet.pod;

/**
 * How much work one manifest file may ask for, so that the worst file accepted parses in a small fraction of a
 * second and a hostile one is refused early with a reason naming the limit. Upstream's kubelet has none of these
 * (its YAML decoder bounds only alias expansion); the API server refuses request bodies over 3 MiB and etcd objects
 * over 1.5 MiB, which is where {@link #maxBytes}' default comes from.
 *
 * @param maxBytes          a larger file is refused without being read ({@code --manifest-max-size}, 1.5 MiB)
 * @param maxLineLength     characters on one line of a YAML file: SnakeYAML's scanner copies a token's buffer on
 *                          every refill, so its time grows with the square of a line's length (a 1 MiB line takes
 *                          seconds); long values fit in block scalars ({@code |}), whose lines are short, or JSON
 * @param maxDepth          nesting of mappings and lists (a pod needs about 12)
 * @param maxAliases        YAML aliases ({@code *name}) in one document
 * @param maxAliasExpansion nodes the aliases of one document may add to it, all expansions counted (a "billion
 *                          laughs" document expands to billions)
 * @param maxNodes          scalars, mappings and lists in one file, documents included, aliases not: SnakeYAML
 *                          takes microseconds per token, so a file of tiny keys is the slowest to read per byte
 */
public record ManifestLimits(long maxBytes, int maxLineLength, int maxDepth, int maxAliases, long maxAliasExpansion,
                             int maxNodes) {
    /** 1.5 MiB, etcd's default object size limit. */
    public static final long DEFAULT_MAX_BYTES = 1536L * 1024;
    public static final ManifestLimits DEFAULTS = new ManifestLimits(DEFAULT_MAX_BYTES, 128 * 1024, 100, 100,
            100_000, 50_000);

    public ManifestLimits {
        if (maxBytes < 1 || maxLineLength < 1 || maxDepth < 1 || maxAliases < 0 || maxAliasExpansion < 0
                || maxNodes < 1) {
            throw new IllegalArgumentException("manifest limits must be positive: " + maxBytes + ", " + maxLineLength
                    + ", " + maxDepth + ", " + maxAliases + ", " + maxAliasExpansion + ", " + maxNodes);
        }
    }

    /** The defaults with another file size limit. */
    public static ManifestLimits withMaxBytes(long maxBytes) {
        ManifestLimits d = DEFAULTS;
        return new ManifestLimits(maxBytes, d.maxLineLength, d.maxDepth, d.maxAliases, d.maxAliasExpansion,
                d.maxNodes);
    }

    /** {@code 1572864 bytes (1.5 MiB)}: how sizes are named in refusals. */
    public static String describeBytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " bytes";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        String n = v == Math.rint(v) ? Long.toString((long) v) : String.format(java.util.Locale.ROOT, "%.1f", v);
        return bytes + " bytes (" + n + " " + units[u] + ")";
    }
}
