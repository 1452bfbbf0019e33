package dev.skiff.volume.cache;

import io.fabric8.kubernetes.api.model.Volume;

import java.lang.reflect.Method;
import java.util.Set;
import java.util.TreeSet;

/** Says, for a volume no plugin serves, what kind it is (the source field it sets). */
final class UnsupportedVolumes {
    private static final Set<String> NOT_SOURCES = Set.of("getName", "getAdditionalProperties", "getClass");

    private UnsupportedVolumes() {
    }

    static String describe(Volume v) {
        Set<String> kinds = new TreeSet<>();
        for (Method m : Volume.class.getMethods()) {
            if (m.getName().startsWith("get") && m.getParameterCount() == 0 && !NOT_SOURCES.contains(m.getName())) {
                try {
                    if (m.invoke(v) != null) {
                        kinds.add(Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4));
                    }
                } catch (ReflectiveOperationException e) {
                    // not a source field
                }
            }
        }
        if (v.getAdditionalProperties() != null) {
            kinds.addAll(v.getAdditionalProperties().keySet());
        }
        if (kinds.isEmpty()) {
            return "the volume names no source (emptyDir, hostPath, configMap, secret, downwardAPI, projected, persistentVolumeClaim, nfs, …)";
        }
        return String.join(", ", kinds) + " volumes are not supported";
    }
}
