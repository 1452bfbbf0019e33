package dev.skiff.kubelet.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The part of {@code kubelet.config.k8s.io/v1beta1} KubeletConfiguration that Skiff implements, with upstream's
 * field names and defaults (staging/src/k8s.io/kubelet/config/v1beta1/types.go, pkg/kubelet/apis/config/v1beta1/
 * defaults.go) except where noted. Values are already defaulted; paths read from a file are already resolved
 * against the file's directory.
 *
 * @param staticPodPath            directory (or single file) of static pod manifests; "" = none
 * @param syncFrequency            max period between syncs of running containers and config (1m)
 * @param fileCheckFrequency       period of the full rescan of staticPodPath (20s)
 * @param address                  IP the secure server binds (0.0.0.0)
 * @param port                     port of the secure server (10250)
 * @param readOnlyPort             unauthenticated read-only server port, 0 = off. Skiff's default is 10255, not
 *                                 upstream's 0: issue 3 requires {@code /healthz} and {@code /pods} on 10255
 * @param healthzPort              localhost healthz port, 0 = off (10248)
 * @param healthzBindAddress       IP of the healthz server (127.0.0.1)
 * @param maxPods                  pods this node admits (110)
 * @param clusterDomain            DNS domain of the cluster (default cluster.local, kubeadm's; "" = none)
 * @param clusterDNS               cluster DNS server IPs (empty = Skiff's embedded DNS on the Docker bridge gateway)
 * @param podLogsDir               root of pod log directories (/var/log/pods)
 * @param containerLogMaxSize      size at which a container log is rotated (10Mi)
 * @param containerLogMaxFiles     log files kept per container (5)
 * @param shutdownGracePeriod      node shutdown delay for pod termination (0s)
 * @param shutdownGracePeriodCriticalPods the part of shutdownGracePeriod kept for critical pods, which stop last (0s)
 * @param imageGCHighThresholdPercent disk usage percent that always triggers image GC (85)
 * @param imageGCLowThresholdPercent  disk usage percent image GC frees down to (80)
 * @param imageMinimumGCAge        minimum age of an unused image before GC (2m)
 * @param resolvConf               resolver config used as the base of containers' resolv.conf; "" = no DNS
 *                                 from the host (/etc/resolv.conf)
 * @param cgroupDriver             cgroupfs or systemd (cgroupfs)
 * @param serializeImagePulls      pull one image at a time (true)
 * @param podPidsLimit             max PIDs per pod, -1 = unlimited (-1)
 * @param containerRuntimeEndpoint CRI endpoint; Skiff's default "" means the in-process Docker shim (upstream's
 *                                 default is containerd's socket)
 * @param tlsCertFile              the secure port's PEM certificate (chain); "" = generate a self-signed one in the
 *                                 cert dir
 * @param tlsPrivateKeyFile        its PEM private key; "" together with tlsCertFile
 * @param clientCAFile             authentication.x509.clientCAFile: CAs whose client certificates authenticate
 *                                 (CN = user, O = groups); "" = no client certificate authentication
 * @param anonymousAuth            authentication.anonymous.enabled: requests without credentials are
 *                                 system:anonymous instead of 401 (false)
 * @param webhookAuthentication    authentication.webhook.enabled: refused when true (no API server for TokenReviews);
 *                                 Skiff's default false (upstream's true)
 * @param authorizationMode        authorization.mode: AlwaysAllow, or Skiff's Policy (static group policy; the
 *                                 default, as there is no API server for upstream's Webhook)
 */
public record KubeletConfiguration(
        String staticPodPath,
        Duration syncFrequency,
        Duration fileCheckFrequency,
        String address,
        int port,
        int readOnlyPort,
        int healthzPort,
        String healthzBindAddress,
        int maxPods,
        String clusterDomain,
        List<String> clusterDNS,
        String podLogsDir,
        Quantity containerLogMaxSize,
        int containerLogMaxFiles,
        Duration shutdownGracePeriod,
        Duration shutdownGracePeriodCriticalPods,
        int imageGCHighThresholdPercent,
        int imageGCLowThresholdPercent,
        Duration imageMinimumGCAge,
        String resolvConf,
        String cgroupDriver,
        boolean serializeImagePulls,
        long podPidsLimit,
        String containerRuntimeEndpoint,
        String tlsCertFile,
        String tlsPrivateKeyFile,
        String clientCAFile,
        boolean anonymousAuth,
        boolean webhookAuthentication,
        String authorizationMode) {

    public static final String API_VERSION = "kubelet.config.k8s.io/v1beta1";
    public static final String KIND = "KubeletConfiguration";
    public static final String AUTHORIZATION_ALWAYS_ALLOW = "AlwaysAllow";
    /** Skiff's own authorization mode: a static policy by group (there is no API server for upstream's Webhook). */
    public static final String AUTHORIZATION_POLICY = "Policy";

    public KubeletConfiguration {
        Objects.requireNonNull(staticPodPath, "staticPodPath");
        Objects.requireNonNull(syncFrequency, "syncFrequency");
        Objects.requireNonNull(fileCheckFrequency, "fileCheckFrequency");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(healthzBindAddress, "healthzBindAddress");
        Objects.requireNonNull(clusterDomain, "clusterDomain");
        clusterDNS = List.copyOf(clusterDNS);
        Objects.requireNonNull(podLogsDir, "podLogsDir");
        Objects.requireNonNull(containerLogMaxSize, "containerLogMaxSize");
        Objects.requireNonNull(shutdownGracePeriod, "shutdownGracePeriod");
        Objects.requireNonNull(shutdownGracePeriodCriticalPods, "shutdownGracePeriodCriticalPods");
        Objects.requireNonNull(imageMinimumGCAge, "imageMinimumGCAge");
        Objects.requireNonNull(resolvConf, "resolvConf");
        Objects.requireNonNull(cgroupDriver, "cgroupDriver");
        Objects.requireNonNull(containerRuntimeEndpoint, "containerRuntimeEndpoint");
        Objects.requireNonNull(tlsCertFile, "tlsCertFile");
        Objects.requireNonNull(tlsPrivateKeyFile, "tlsPrivateKeyFile");
        Objects.requireNonNull(clientCAFile, "clientCAFile");
        Objects.requireNonNull(authorizationMode, "authorizationMode");
    }

    /** Every field at its default: what an empty KubeletConfiguration file means. */
    public static KubeletConfiguration defaults() {
        return new Builder().build();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Mutable copy used while decoding a file and merging flags; starts at the defaults. */
    public static final class Builder {
        String staticPodPath = "";
        Duration syncFrequency = Duration.ofMinutes(1);
        Duration fileCheckFrequency = Duration.ofSeconds(20);
        String address = "0.0.0.0";
        int port = 10250;
        int readOnlyPort = 10255;
        int healthzPort = 10248;
        String healthzBindAddress = "127.0.0.1";
        int maxPods = 110;
        String clusterDomain = "cluster.local";
        List<String> clusterDNS = List.of();
        String podLogsDir = "/var/log/pods";
        Quantity containerLogMaxSize = Quantity.parse("10Mi");
        int containerLogMaxFiles = 5;
        Duration shutdownGracePeriod = Duration.ZERO;
        Duration shutdownGracePeriodCriticalPods = Duration.ZERO;
        int imageGCHighThresholdPercent = 85;
        int imageGCLowThresholdPercent = 80;
        Duration imageMinimumGCAge = Duration.ofMinutes(2);
        String resolvConf = "/etc/resolv.conf";
        String cgroupDriver = "cgroupfs";
        boolean serializeImagePulls = true;
        long podPidsLimit = -1;
        String containerRuntimeEndpoint = "";
        String tlsCertFile = "";
        String tlsPrivateKeyFile = "";
        String clientCAFile = "";
        boolean anonymousAuth = false;
        boolean webhookAuthentication = false;
        String authorizationMode = AUTHORIZATION_POLICY;

        public Builder() {}

        Builder(KubeletConfiguration c) {
            staticPodPath = c.staticPodPath;
            syncFrequency = c.syncFrequency;
            fileCheckFrequency = c.fileCheckFrequency;
            address = c.address;
            port = c.port;
            readOnlyPort = c.readOnlyPort;
            healthzPort = c.healthzPort;
            healthzBindAddress = c.healthzBindAddress;
            maxPods = c.maxPods;
            clusterDomain = c.clusterDomain;
            clusterDNS = c.clusterDNS;
            podLogsDir = c.podLogsDir;
            containerLogMaxSize = c.containerLogMaxSize;
            containerLogMaxFiles = c.containerLogMaxFiles;
            shutdownGracePeriod = c.shutdownGracePeriod;
            shutdownGracePeriodCriticalPods = c.shutdownGracePeriodCriticalPods;
            imageGCHighThresholdPercent = c.imageGCHighThresholdPercent;
            imageGCLowThresholdPercent = c.imageGCLowThresholdPercent;
            imageMinimumGCAge = c.imageMinimumGCAge;
            resolvConf = c.resolvConf;
            cgroupDriver = c.cgroupDriver;
            serializeImagePulls = c.serializeImagePulls;
            podPidsLimit = c.podPidsLimit;
            containerRuntimeEndpoint = c.containerRuntimeEndpoint;
            tlsCertFile = c.tlsCertFile;
            tlsPrivateKeyFile = c.tlsPrivateKeyFile;
            clientCAFile = c.clientCAFile;
            anonymousAuth = c.anonymousAuth;
            webhookAuthentication = c.webhookAuthentication;
            authorizationMode = c.authorizationMode;
        }

        public Builder staticPodPath(String v) { staticPodPath = v; return this; }
        public Builder syncFrequency(Duration v) { syncFrequency = v; return this; }
        public Builder fileCheckFrequency(Duration v) { fileCheckFrequency = v; return this; }
        public Builder address(String v) { address = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder readOnlyPort(int v) { readOnlyPort = v; return this; }
        public Builder healthzPort(int v) { healthzPort = v; return this; }
        public Builder healthzBindAddress(String v) { healthzBindAddress = v; return this; }
        public Builder maxPods(int v) { maxPods = v; return this; }
        public Builder clusterDomain(String v) { clusterDomain = v; return this; }
        public Builder clusterDNS(List<String> v) { clusterDNS = List.copyOf(v); return this; }
        public Builder podLogsDir(String v) { podLogsDir = v; return this; }
        public Builder containerLogMaxSize(Quantity v) { containerLogMaxSize = v; return this; }
        public Builder containerLogMaxFiles(int v) { containerLogMaxFiles = v; return this; }
        public Builder shutdownGracePeriod(Duration v) { shutdownGracePeriod = v; return this; }
        public Builder shutdownGracePeriodCriticalPods(Duration v) { shutdownGracePeriodCriticalPods = v; return this; }
        public Builder imageGCHighThresholdPercent(int v) { imageGCHighThresholdPercent = v; return this; }
        public Builder imageGCLowThresholdPercent(int v) { imageGCLowThresholdPercent = v; return this; }
        public Builder imageMinimumGCAge(Duration v) { imageMinimumGCAge = v; return this; }
        public Builder resolvConf(String v) { resolvConf = v; return this; }
        public Builder cgroupDriver(String v) { cgroupDriver = v; return this; }
        public Builder serializeImagePulls(boolean v) { serializeImagePulls = v; return this; }
        public Builder podPidsLimit(long v) { podPidsLimit = v; return this; }
        public Builder containerRuntimeEndpoint(String v) { containerRuntimeEndpoint = v; return this; }
        public Builder tlsCertFile(String v) { tlsCertFile = v; return this; }
        public Builder tlsPrivateKeyFile(String v) { tlsPrivateKeyFile = v; return this; }
        public Builder clientCAFile(String v) { clientCAFile = v; return this; }
        public Builder anonymousAuth(boolean v) { anonymousAuth = v; return this; }
        public Builder webhookAuthentication(boolean v) { webhookAuthentication = v; return this; }
        public Builder authorizationMode(String v) { authorizationMode = v; return this; }

        public KubeletConfiguration build() {
            return new KubeletConfiguration(staticPodPath, syncFrequency, fileCheckFrequency, address, port,
                    readOnlyPort, healthzPort, healthzBindAddress, maxPods, clusterDomain, clusterDNS, podLogsDir,
                    containerLogMaxSize, containerLogMaxFiles, shutdownGracePeriod, shutdownGracePeriodCriticalPods,
                    imageGCHighThresholdPercent,
                    imageGCLowThresholdPercent, imageMinimumGCAge, resolvConf, cgroupDriver, serializeImagePulls,
                    podPidsLimit, containerRuntimeEndpoint, tlsCertFile, tlsPrivateKeyFile, clientCAFile, anonymousAuth,
                    webhookAuthentication, authorizationMode);
        }
    }
}
