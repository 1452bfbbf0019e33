package dev.skiff.kubelet.controller;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.UUID;

/** The API server's naming: {@code generateName} suffixes and uids. */
public final class ObjectNames {
    /** Upstream's utilrand alphabet: no vowels (no words), no 0/1/3 (look like letters). */
    static final String ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
    static final int RANDOM_LENGTH = 5;
    /** Upstream's maxGeneratedNameLength: 63 minus the random part. */
    static final int MAX_PREFIX = 63 - RANDOM_LENGTH;

    private ObjectNames() {}

    /** {@code prefix} (cut to 58 characters, as upstream's SimpleNameGenerator) plus 5 random characters. */
    public static String generate(String prefix, Random random) {
        String base = prefix.length() > MAX_PREFIX ? prefix.substring(0, MAX_PREFIX) : prefix;
        StringBuilder b = new StringBuilder(base);
        for (int i = 0; i < RANDOM_LENGTH; i++) {
            b.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return b.toString();
    }

    /**
     * A workload's uid, derived from its kind, namespace and name: the file carries none, and the uid must stay the
     * same across restarts so what the workload owns stays its own (as a static pod's uid is derived).
     */
    public static String workloadUid(String kind, String namespace, String name) {
        return UUID.nameUUIDFromBytes(("skiff/workload/" + kind + "/" + namespace + "/" + name)
                .getBytes(StandardCharsets.UTF_8)).toString();
    }
}
