package dev.skiff.kubelet.controller;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.MapperFeature;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;

/**
 * upstream controller.ComputeHash: FNV-32a of the pod template, then of the collision count (4 bytes, little
 * endian) when there is one, printed as a decimal and safe-encoded. Upstream feeds the hasher Go's spew dump of the
 * struct; Skiff feeds it the template's JSON with sorted keys, so the values differ from a cluster's but have the
 * same shape and the same stability (a template edit changes the hash, a collision count bump moves it).
 */
public final class TemplateHash {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .serializationInclusion(JsonInclude.Include.NON_EMPTY)
            .build();
    private static final int OFFSET = 0x811c9dc5;
    private static final int PRIME = 0x01000193;

    private TemplateHash() {}

    public static String compute(PodTemplateSpec template, Integer collisionCount) {
        int h = OFFSET;
        h = fnv(h, bytes(template));
        if (collisionCount != null) {
            int c = collisionCount;
            h = fnv(h, new byte[] {(byte) c, (byte) (c >>> 8), (byte) (c >>> 16), (byte) (c >>> 24)});
        }
        return safeEncode(Integer.toUnsignedString(h));
    }

    /** The bytes the hash is computed over, as text: equal for templates that differ only in empty fields. */
    public static String canonical(Object template) {
        return new String(bytes(template), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** upstream rand.SafeEncodeString: each byte of {@code s} mapped onto the generateName alphabet. */
    static String safeEncode(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            sb.append(ObjectNames.ALPHABET.charAt((b & 0xff) % ObjectNames.ALPHABET.length()));
        }
        return sb.toString();
    }

    private static int fnv(int h, byte[] data) {
        for (byte b : data) {
            h ^= (b & 0xff);
            h *= PRIME;
        }
        return h;
    }

    private static byte[] bytes(Object o) {
        try {
            return JSON.writeValueAsBytes(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a pod template", e);
        }
    }
}
