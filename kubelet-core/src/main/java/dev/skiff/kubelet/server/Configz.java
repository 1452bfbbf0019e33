package dev.skiff.kubelet.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skiff.kubelet.config.GoDuration;
import dev.skiff.kubelet.config.KubeletConfiguration;

/**
 * {@code /configz}: {@code {"kubeletconfig": {...}}} with the effective KubeletConfiguration under upstream's field
 * names and encodings (durations as Go strings, quantities as strings, authentication and authorization nested).
 * Pure.
 */
public final class Configz {
    private Configz() {
    }

    public static ObjectNode of(KubeletConfiguration c) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode k = f.objectNode();
        k.put("enableServer", true);
        k.put("staticPodPath", c.staticPodPath());
        k.put("podLogsDir", c.podLogsDir());
        k.put("syncFrequency", GoDuration.format(c.syncFrequency()));
        k.put("fileCheckFrequency", GoDuration.format(c.fileCheckFrequency()));
        k.put("address", c.address());
        k.put("port", c.port());
        k.put("readOnlyPort", c.readOnlyPort());
        if (!c.tlsCertFile().isEmpty()) {
            k.put("tlsCertFile", c.tlsCertFile());
            k.put("tlsPrivateKeyFile", c.tlsPrivateKeyFile());
        }
        ObjectNode authn = k.putObject("authentication");
        ObjectNode x509 = authn.putObject("x509");
        if (!c.clientCAFile().isEmpty()) {
            x509.put("clientCAFile", c.clientCAFile());
        }
        authn.putObject("webhook").put("enabled", c.webhookAuthentication());
        authn.putObject("anonymous").put("enabled", c.anonymousAuth());
        k.putObject("authorization").put("mode", c.authorizationMode());
        k.put("healthzPort", c.healthzPort());
        k.put("healthzBindAddress", c.healthzBindAddress());
        k.put("clusterDomain", c.clusterDomain());
        c.clusterDNS().forEach(k.putArray("clusterDNS")::add);
        k.put("imageMinimumGCAge", GoDuration.format(c.imageMinimumGCAge()));
        k.put("imageGCHighThresholdPercent", c.imageGCHighThresholdPercent());
        k.put("imageGCLowThresholdPercent", c.imageGCLowThresholdPercent());
        k.put("cgroupDriver", c.cgroupDriver());
        k.put("maxPods", c.maxPods());
        k.put("podPidsLimit", c.podPidsLimit());
        k.put("resolvConf", c.resolvConf());
        k.put("serializeImagePulls", c.serializeImagePulls());
        k.put("containerLogMaxSize", c.containerLogMaxSize().toString());
        k.put("containerLogMaxFiles", c.containerLogMaxFiles());
        k.put("shutdownGracePeriod", GoDuration.format(c.shutdownGracePeriod()));
        k.put("shutdownGracePeriodCriticalPods", GoDuration.format(c.shutdownGracePeriodCriticalPods()));
        k.put("containerRuntimeEndpoint", c.containerRuntimeEndpoint());
        ObjectNode root = f.objectNode();
        root.set("kubeletconfig", k);
        return root;
    }
}
