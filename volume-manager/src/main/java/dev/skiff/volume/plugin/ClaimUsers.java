package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import io.fabric8.kubernetes.api.model.PersistentVolume;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which pods use which persistent volume on this node, so a ReadWriteOncePod volume goes to one pod only (upstream's
 * scheduler keeps the second pod off the node; here it waits, with the reason, until the first is gone).
 */
final class ClaimUsers {
    static final String READ_WRITE_ONCE_POD = "ReadWriteOncePod";

    private final Map<String, Set<String>> podsByVolume = new HashMap<>();

    /**
     * Records {@code podUid} as a user of the volume; returns true when it was not one yet. Refuses a second pod on
     * a ReadWriteOncePod volume.
     */
    synchronized boolean claim(PersistentVolume pv, String podUid, String claimRef) throws VolumeException {
        Set<String> users = podsByVolume.computeIfAbsent(pv.getMetadata().getName(), k -> new LinkedHashSet<>());
        if (users.contains(podUid)) {
            return false;
        }
        List<String> modes = pv.getSpec().getAccessModes() == null ? List.of() : pv.getSpec().getAccessModes();
        if (modes.contains(READ_WRITE_ONCE_POD) && !users.isEmpty()) {
            throw new VolumeException("persistentvolumeclaim \"" + claimRef + "\" uses the ReadWriteOncePod access mode"
                    + " and is in use by another pod (uid " + users.iterator().next() + ")");
        }
        users.add(podUid);
        return true;
    }

    synchronized boolean hasUsers(String pvName) {
        Set<String> users = podsByVolume.get(pvName);
        return users != null && !users.isEmpty();
    }

    synchronized void forget(String pvName, String podUid) {
        Set<String> users = podsByVolume.get(pvName);
        if (users != null) {
            users.remove(podUid);
            if (users.isEmpty()) {
                podsByVolume.remove(pvName);
            }
        }
    }

    /** The pod of {@code <root>/pods/<uid>/volumes/<plugin>/<name>} no longer uses any volume there. */
    synchronized void release(Path volumeDir) {
        Path pod = volumeDir.getParent() == null || volumeDir.getParent().getParent() == null ? null
                : volumeDir.getParent().getParent().getParent();
        if (pod == null || pod.getFileName() == null) {
            return;
        }
        String uid = pod.getFileName().toString();
        for (Iterator<Map.Entry<String, Set<String>>> it = podsByVolume.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Set<String>> e = it.next();
            e.getValue().remove(uid);
            if (e.getValue().isEmpty()) {
                it.remove();
            }
        }
    }
}
