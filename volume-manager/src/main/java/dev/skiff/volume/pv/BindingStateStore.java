package dev.skiff.volume.pv;

import dev.skiff.volume.util.DurableFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Persists {@link BindingState} as JSON in {@code <dir>/binding-state.json}, so that bindings survive a restart
 * (kill -9 included): written to a temp file in the same directory, fsynced, renamed over the old file, and the
 * directory fsynced, so a reader sees the old state or the new one, never a torn file.
 */
public final class BindingStateStore {
    static final String FILE_NAME = "binding-state.json";
    private static final long VERSION = 1;
    private static final Logger log = LoggerFactory.getLogger(BindingStateStore.class);

    private final Path dir;
    private final Path file;

    public BindingStateStore(Path dir) {
        this.dir = dir;
        this.file = dir.resolve(FILE_NAME);
    }

    public Path file() {
        return file;
    }

    /**
     * The saved state; {@link BindingState#EMPTY} when nothing was saved yet.
     *
     * @throws CorruptBindingStateException when the file is not a valid state
     */
    public BindingState load() throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return BindingState.EMPTY;
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CorruptBindingStateException(file, "not UTF-8", e);
        }
        try {
            return fromJson(Json.parse(text));
        } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
            throw new CorruptBindingStateException(file, String.valueOf(e.getMessage()), e);
        }
    }

    /** Writes {@code state} durably and atomically. */
    public void save(BindingState state) throws IOException {
        Files.createDirectories(dir);
        byte[] bytes = Json.write(toJson(state)).getBytes(StandardCharsets.UTF_8);
        DurableFiles.replace(file, bytes, 0600);
        log.debug("saved binding state: {} volumes, {} claims to {}", state.volumes().size(), state.claims().size(),
                file);
    }

    static Map<String, Object> toJson(BindingState state) {
        Map<String, Object> volumes = new LinkedHashMap<>();
        state.volumes().forEach((name, v) -> {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("phase", v.phase().name());
            if (v.claimRef() != null) {
                Map<String, Object> ref = new LinkedHashMap<>();
                ref.put("namespace", v.claimRef().namespace());
                ref.put("name", v.claimRef().name());
                ref.put("uid", v.claimRef().uid());
                o.put("claimRef", ref);
            } else {
                o.put("claimRef", null);
            }
            o.put("message", v.message());
            volumes.put(name, o);
        });
        Map<String, Object> claims = new LinkedHashMap<>();
        state.claims().forEach((key, c) -> {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("phase", c.phase().name());
            o.put("volumeName", c.volumeName());
            o.put("message", c.message());
            claims.put(key, o);
        });
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", VERSION);
        root.put("volumes", volumes);
        root.put("claims", claims);
        return root;
    }

    static BindingState fromJson(Object json) {
        Map<String, Object> root = object(json, "the top level");
        Object version = root.get("version");
        if (!Long.valueOf(VERSION).equals(version)) {
            throw new IllegalArgumentException("unsupported version " + version);
        }
        Map<String, VolumeStatus> volumes = new LinkedHashMap<>();
        object(root.get("volumes"), "\"volumes\"").forEach((name, v) -> {
            Map<String, Object> o = object(v, "volume " + name);
            Object ref = o.get("claimRef");
            ClaimRef claimRef = null;
            if (ref != null) {
                Map<String, Object> r = object(ref, "claimRef of volume " + name);
                claimRef = new ClaimRef(string(r, "namespace", name), string(r, "name", name), string(r, "uid", name));
            }
            volumes.put(name, new VolumeStatus(phase(VolumePhase.class, o, name), claimRef,
                    string(o, "message", name)));
        });
        Map<String, ClaimStatus> claims = new LinkedHashMap<>();
        object(root.get("claims"), "\"claims\"").forEach((key, v) -> {
            Map<String, Object> o = object(v, "claim " + key);
            if (key.indexOf('/') <= 0 || key.indexOf('/') == key.length() - 1) {
                throw new IllegalArgumentException("claim key \"" + key + "\" is not namespace/name");
            }
            Object vn = o.get("volumeName");
            if (vn != null && !(vn instanceof String)) {
                throw new IllegalArgumentException("volumeName of claim " + key + " is not a string");
            }
            claims.put(key, new ClaimStatus(phase(ClaimPhase.class, o, key), (String) vn,
                    string(o, "message", key)));
        });
        return new BindingState(volumes, claims);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object v, String what) {
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException(what + " is not an object");
        }
        return (Map<String, Object>) v;
    }

    private static String string(Map<String, Object> o, String field, String owner) {
        if (!(o.get(field) instanceof String s)) {
            throw new IllegalArgumentException("\"" + field + "\" of " + owner + " is missing or not a string");
        }
        return s;
    }

    private static <E extends Enum<E>> E phase(Class<E> type, Map<String, Object> o, String owner) {
        String p = string(o, "phase", owner);
        try {
            return Enum.valueOf(type, p);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("phase \"" + p + "\" of " + owner + " is not one of "
                    + List.of(type.getEnumConstants()));
        }
    }
}
