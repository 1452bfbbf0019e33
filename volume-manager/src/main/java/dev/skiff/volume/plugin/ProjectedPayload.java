package dev.skiff.volume.plugin;

import dev.skiff.volume.NodeResources;
import dev.skiff.volume.VolumeException;
import dev.skiff.volume.VolumeObjects;
import dev.skiff.volume.util.FileProjection;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ProjectedVolumeSource;
import io.fabric8.kubernetes.api.model.VolumeProjection;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files of a projected volume (upstream pkg/volume/projected collectData): configMap, secret and downwardAPI
 * sources merged in order with the volume's defaultMode. Token, trust-bundle and certificate sources are issued by
 * an API server, which Skiff has not.
 */
public final class ProjectedPayload {
    private ProjectedPayload() {
    }

    public static Map<String, FileProjection> forVolume(ProjectedVolumeSource source, Pod pod, VolumeObjects objects,
                                                        NodeResources node) throws VolumeException {
        int defaultMode = Payloads.mode(source.getDefaultMode(), Payloads.DEFAULT_MODE, "projected volume defaultMode");
        String ns = pod.getMetadata().getNamespace();
        Map<String, FileProjection> payload = new LinkedHashMap<>();
        List<VolumeException> errors = new ArrayList<>();
        for (VolumeProjection p : source.getSources() == null ? List.<VolumeProjection>of() : source.getSources()) {
            try {
                if (p.getConfigMap() != null) {
                    var cm = p.getConfigMap();
                    payload.putAll(ConfigMapPayload.make(ns, cm.getName(), cm.getItems(), cm.getOptional(), defaultMode, objects));
                } else if (p.getSecret() != null) {
                    var s = p.getSecret();
                    payload.putAll(SecretPayload.make(ns, s.getName(), s.getItems(), s.getOptional(), defaultMode, objects));
                } else if (p.getDownwardAPI() != null) {
                    payload.putAll(DownwardApiPayload.collect(p.getDownwardAPI().getItems(), pod, defaultMode, node));
                } else if (p.getServiceAccountToken() != null) {
                    throw needsApiServer("serviceAccountToken");
                } else if (p.getClusterTrustBundle() != null) {
                    throw needsApiServer("clusterTrustBundle");
                } else if (p.getPodCertificate() != null) {
                    throw needsApiServer("podCertificate");
                }
            } catch (VolumeException e) {
                errors.add(e);
            }
        }
        if (!errors.isEmpty()) {
            throw Payloads.aggregate(errors);
        }
        return payload;
    }

    private static VolumeException needsApiServer(String kind) {
        return new VolumeException("projected " + kind + " source is not supported: it is issued by an API server,"
                + " and Skiff runs without one");
    }
}
