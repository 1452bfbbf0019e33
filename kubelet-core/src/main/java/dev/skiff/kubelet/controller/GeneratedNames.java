package dev.skiff.kubelet.controller;

import java.util.Random;

/**
 * Names from {@code generateName} as the API server makes them (upstream names.SimpleNameGenerator): the prefix,
 * cut to 58 characters, and five characters of an alphabet without vowels (no words) and without look-alikes.
 * Controllers name their pods themselves so their events can say which pod they created, as upstream's do after
 * the create call returns.
 */
public final class GeneratedNames {
    /** upstream k8s.io/apimachinery/pkg/util/rand's alphanums. */
    public static final String ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
    private static final int MAX_PREFIX = 58;
    private static final int SUFFIX = 5;

    private final Random random;

    public GeneratedNames(Random random) {
        this.random = random;
    }

    public String next(String generateName) {
        String base = generateName.length() > MAX_PREFIX ? generateName.substring(0, MAX_PREFIX) : generateName;
        StringBuilder sb = new StringBuilder(base);
        for (int i = 0; i < SUFFIX; i++) {
            sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }

    /** upstream rand.SafeEncodeString: each byte of {@code s} mapped onto the alphabet. */
    public static String safeEncode(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            sb.append(ALPHABET.charAt((b & 0xff) % ALPHABET.length()));
        }
        return sb.toString();
    }
}
