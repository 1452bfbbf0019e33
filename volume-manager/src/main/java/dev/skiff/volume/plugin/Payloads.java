package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.util.FileProjection;
import io.fabric8.kubernetes.api.model.KeyToPath;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the payload builders share: modes as the API defaults and validates them, base64, upstream's error lists. */
final class Payloads {
    /** The API's default for configMap, secret, downwardAPI and projected {@code defaultMode}. */
    static final int DEFAULT_MODE = 0644;

    private Payloads() {
    }

    /** {@code mode} when set, else {@code defaultMode}; out of 0..0777 is refused as API validation would. */
    static int mode(Integer mode, int defaultMode, String what) throws VolumeException {
        int m = mode == null ? defaultMode : mode;
        if (m < 0 || m > 0777) {
            throw new VolumeException(what + ": mode 0" + Integer.toOctalString(m) + " must be a number between 0 and 0777 (octal)");
        }
        return m;
    }

    static FileProjection file(byte[] data, int mode) {
        return new FileProjection(data, mode);
    }

    /** base64 as the API server's JSON carries {@code []byte}; line breaks are tolerated, as kubelet env reads them. */
    static byte[] base64(String value, String what) throws VolumeException {
        try {
            return Base64.getMimeDecoder().decode(value == null ? "" : value);
        } catch (IllegalArgumentException e) {
            throw new VolumeException(what + " is not valid base64");
        }
    }

    /** Upstream utilerrors.NewAggregate's message: the one error, or {@code [e1, e2]}. */
    static VolumeException aggregate(List<VolumeException> errors) {
        if (errors.size() == 1) {
            return errors.get(0);
        }
        StringBuilder b = new StringBuilder("[");
        for (VolumeException e : errors) {
            if (b.length() > 1) {
                b.append(", ");
            }
            b.append(e.getMessage());
        }
        VolumeException all = new VolumeException(b.append(']').toString());
        errors.forEach(all::addSuppressed);
        return all;
    }

    /**
     * Upstream MakePayload, shared by configMap and secret: every key at its own name with the default mode when
     * there are no items, else each item's key at its path (its own mode or the default). A missing key is an error
     * ({@code missingKey} + the key) unless the source is optional.
     *
     * @param what "configMap" or "secret", for mode errors
     */
    static Map<String, FileProjection> fromKeys(Map<String, byte[]> keys, List<KeyToPath> items, int defaultMode,
                                                boolean optional, String missingKey, String what) throws VolumeException {
        Map<String, FileProjection> payload = new LinkedHashMap<>();
        if (items == null || items.isEmpty()) {
            for (var e : keys.entrySet()) {
                payload.put(e.getKey(), file(e.getValue(), defaultMode));
            }
            return payload;
        }
        for (KeyToPath item : items) {
            byte[] data = keys.get(item.getKey());
            if (data == null) {
                if (optional) {
                    continue;
                }
                throw new VolumeException(missingKey + item.getKey());
            }
            payload.put(item.getPath(), file(data, mode(item.getMode(), defaultMode, what + " key " + item.getKey())));
        }
        return payload;
    }
}
