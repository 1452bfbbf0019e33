package dev.skiff.kubelet.config;

import dev.skiff.cri.streaming.StreamingServer;

import dev.skiff.kubelet.pod.ManifestLimits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What the kubelet runs with: defaults, overridden by the KubeletConfiguration file, overridden by the flags given
 * on the command line; validated as a whole. All paths are absolute.
 *
 * @param configFile             the {@code --config} file, when one was used
 * @param config                 the merged KubeletConfiguration fields
 * @param rootDir                kubelet state directory ({@code --root-dir}, /var/lib/kubelet)
 * @param nodeName               {@code --hostname-override} or the host name, trimmed and lowercased (upstream)
 * @param nodeLabels             the node's labels: kubernetes.io/hostname, kubernetes.io/os, kubernetes.io/arch (and
 *                               their beta.kubernetes.io twins, as upstream still sets them), then {@code --node-labels},
 *                               which may override them as upstream allows; sorted by key
 * @param nodeIPs                {@code --node-ip} addresses (empty = not given)
 * @param runtimeEndpoint        the in-process Docker shim (on {@code --docker-endpoint}) or a remote CRI socket
 * @param podInfraContainerImage {@code --pod-infra-container-image}, empty = Skiff's own pause image
 * @param manifestMaxBytes       {@code --manifest-max-size} (Skiff's own, no KubeletConfiguration field): larger
 *                               manifest files are refused unread
 * @param embeddedDns            {@code --embedded-dns} (Skiff's own): whether Skiff serves the cluster DNS itself
 * @param verbosity              {@code -v}
 * @param certDir                {@code --cert-dir} (default {@code <root-dir>/pki}): the self-signed serving pair
 * @param tokenAuthFile          {@code --token-auth-file}: static bearer tokens of the secure port
 * @param authorizationPolicyFile {@code --authorization-policy-file}: grants of the Policy authorization mode
 * @param kubeconfig             {@code --kubeconfig}: the API server to join; empty = standalone (no client is loaded)
 * @param registerWithTaints     {@code --register-with-taints}: the taints the Node registers with
 */
public record KubeletSettings(
        Optional<Path> configFile,
        KubeletConfiguration config,
        Path rootDir,
        String nodeName,
        Map<String, String> nodeLabels,
        List<String> nodeIPs,
        RuntimeEndpoint runtimeEndpoint,
        Optional<String> podInfraContainerImage,
        long manifestMaxBytes,
        boolean embeddedDns,
        int verbosity,
        Path certDir,
        Optional<Path> tokenAuthFile,
        Optional<Path> authorizationPolicyFile,
        Optional<Path> kubeconfig,
        List<NodeTaint> registerWithTaints) {

    private static final Logger log = LoggerFactory.getLogger(KubeletSettings.class);
    public static final Path DEFAULT_ROOT_DIR = Path.of("/var/lib/kubelet");
    /** Past this, the parse time of a file at the limit is no longer a small fraction of a second. */
    private static final long MAX_MANIFEST_MAX_BYTES = 64L * 1024 * 1024;
    private static final Pattern DNS1123_SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    public KubeletSettings {
        nodeLabels = Collections.unmodifiableMap(new TreeMap<>(nodeLabels));
        nodeIPs = List.copyOf(nodeIPs);
        registerWithTaints = List.copyOf(registerWithTaints);
    }

    /** The static pod directory or file, if one is configured. */
    public Optional<Path> staticPodPath() {
        return config.staticPodPath().isEmpty() ? Optional.empty() : Optional.of(Path.of(config.staticPodPath()));
    }

    /** Reads the {@code --config} file (when given) with {@code loader}, then {@link #resolve}s. */
    public static KubeletSettings load(KubeletFlags flags, HostFacts host, KubeletConfigurationLoader loader)
            throws ConfigException {
        Optional<KubeletConfiguration> file = Optional.empty();
        if (flags.config != null) {
            file = Optional.of(loader.load(flags.config).configuration());
        }
        return resolve(flags, file, host);
    }

    /**
     * Merges {@code file} (or the defaults) with the flags set on the command line and validates the result; every
     * problem found is reported in one {@link ConfigException}.
     */
    public static KubeletSettings resolve(KubeletFlags flags, Optional<KubeletConfiguration> file, HostFacts host)
            throws ConfigException {
        KubeletConfiguration config = applyFlags(flags, file.orElseGet(KubeletConfiguration::defaults));
        List<String> problems = new ArrayList<>(validate(config));

        String nodeName = nodeName(flags.hostnameOverride, host, problems);
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(NodeLabels.HOSTNAME, nodeName);
        labels.put(NodeLabels.OS, host.os());
        labels.put(NodeLabels.ARCH, host.arch());
        labels.put(NodeLabels.LEGACY_OS, host.os());
        labels.put(NodeLabels.LEGACY_ARCH, host.arch());
        Map<String, String> userLabels = flags.nodeLabels();
        problems.addAll(NodeLabels.validate(userLabels));
        userLabels.forEach((k, v) -> {
            String previous = labels.put(k, v);
            if (previous != null && !previous.equals(v)) {
                log.info("node label {}={} from --node-labels overrides the default {}", k, v, previous);
            }
        });

        List<String> nodeIPs = nodeIPs(flags.nodeIp, problems);
        RuntimeEndpoint runtime = null;
        try {
            runtime = RuntimeEndpoint.parse(config.containerRuntimeEndpoint());
        } catch (IllegalArgumentException e) {
            problems.add("containerRuntimeEndpoint (--container-runtime-endpoint): " + e.getMessage());
        }
        // cri-dockerd's flag: where the in-process shim finds Docker (also when the runtime endpoint names docker.sock)
        if (flags.dockerEndpoint != null && !flags.dockerEndpoint.isBlank()) {
            try {
                String docker = RuntimeEndpoint.parseDockerEndpoint(flags.dockerEndpoint);
                if (runtime instanceof RuntimeEndpoint.InProcessDocker) {
                    runtime = new RuntimeEndpoint.InProcessDocker(docker);
                } else if (runtime != null) {
                    log.info("--docker-endpoint {} is not used: the kubelet talks to {}", docker, runtime);
                }
            } catch (IllegalArgumentException e) {
                problems.add("--docker-endpoint: " + e.getMessage());
            }
        }
        if (flags.streamingAddress != null) {
            try {
                StreamingServer.parseAddress(flags.streamingAddress);
                if (runtime instanceof RuntimeEndpoint.InProcessDocker docker) {
                    runtime = new RuntimeEndpoint.InProcessDocker(docker.dockerEndpoint(), flags.streamingAddress);
                } else if (runtime != null) {
                    log.info("--streaming-address {} is not used: {} serves its own streaming", flags.streamingAddress, runtime);
                }
            } catch (IllegalArgumentException e) {
                problems.add("--streaming-address: " + e.getMessage());
            }
        }
        Path rootDir = flags.rootDir == null ? DEFAULT_ROOT_DIR : flags.rootDir.toAbsolutePath().normalize();
        long manifestMaxBytes = ManifestLimits.DEFAULT_MAX_BYTES;
        if (flags.manifestMaxSize != null) {
            if (flags.manifestMaxSize.signum() <= 0
                    || flags.manifestMaxSize.amount().compareTo(java.math.BigDecimal.valueOf(MAX_MANIFEST_MAX_BYTES)) > 0) {
                problems.add("--manifest-max-size " + flags.manifestMaxSize + " must be greater than 0 and at most 64Mi");
            } else {
                manifestMaxBytes = flags.manifestMaxSize.longValue();
            }
        }
        List<NodeTaint> taints = NodeTaint.parseAll(flags.registerWithTaints, problems);
        if (flags.kubeconfig != null && !java.nio.file.Files.isRegularFile(flags.kubeconfig)) {
            problems.add("--kubeconfig " + flags.kubeconfig + " is not a readable file");
        }
        if (flags.verbosity != null && flags.verbosity < 0) {
            problems.add("-v " + flags.verbosity + " must not be negative");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException("invalid configuration: " + String.join("; ", problems));
        }
        Optional<String> infra = Optional.ofNullable(flags.podInfraContainerImage).filter(s -> !s.isBlank());
        Path certDir = flags.certDir == null ? rootDir.resolve("pki") : flags.certDir.toAbsolutePath().normalize();
        return new KubeletSettings(Optional.ofNullable(flags.config), config, rootDir, nodeName, labels, nodeIPs,
                runtime, infra, manifestMaxBytes, !Boolean.FALSE.equals(flags.embeddedDns), flags.verbosity(), certDir,
                Optional.ofNullable(flags.tokenAuthFile).map(p -> p.toAbsolutePath().normalize()),
                Optional.ofNullable(flags.authorizationPolicyFile).map(p -> p.toAbsolutePath().normalize()),
                Optional.ofNullable(flags.kubeconfig).map(p -> p.toAbsolutePath().normalize()), taints);
    }

    /** Overrides {@code base} with each flag that was given; relative flag paths are taken from the working dir. */
    static KubeletConfiguration applyFlags(KubeletFlags f, KubeletConfiguration base) {
        KubeletConfiguration.Builder b = base.toBuilder();
        if (f.podManifestPath != null) {
            b.staticPodPath(absolute(f.podManifestPath));
        }
        if (f.syncFrequency != null) {
            b.syncFrequency(f.syncFrequency);
        }
        if (f.fileCheckFrequency != null) {
            b.fileCheckFrequency(f.fileCheckFrequency);
        }
        if (f.address != null) {
            b.address(f.address);
        }
        if (f.port != null) {
            b.port(f.port);
        }
        if (f.readOnlyPort != null) {
            b.readOnlyPort(f.readOnlyPort);
        }
        if (f.healthzPort != null) {
            b.healthzPort(f.healthzPort);
        }
        if (f.healthzBindAddress != null) {
            b.healthzBindAddress(f.healthzBindAddress);
        }
        if (f.maxPods != null) {
            b.maxPods(f.maxPods);
        }
        if (f.clusterDomain != null) {
            b.clusterDomain(f.clusterDomain);
        }
        if (f.clusterDns != null) {
            b.clusterDNS(f.clusterDns.stream().map(String::strip).filter(s -> !s.isEmpty()).toList());
        }
        if (f.resolvConf != null) {
            b.resolvConf(absolute(f.resolvConf));
        }
        if (f.cgroupDriver != null) {
            b.cgroupDriver(f.cgroupDriver);
        }
        if (f.containerLogMaxSize != null) {
            b.containerLogMaxSize(f.containerLogMaxSize);
        }
        if (f.containerLogMaxFiles != null) {
            b.containerLogMaxFiles(f.containerLogMaxFiles);
        }
        if (f.imageGcHighThreshold != null) {
            b.imageGCHighThresholdPercent(f.imageGcHighThreshold);
        }
        if (f.imageGcLowThreshold != null) {
            b.imageGCLowThresholdPercent(f.imageGcLowThreshold);
        }
        if (f.minimumImageTtlDuration != null) {
            b.imageMinimumGCAge(f.minimumImageTtlDuration);
        }
        if (f.serializeImagePulls != null) {
            b.serializeImagePulls(f.serializeImagePulls);
        }
        if (f.podMaxPids != null) {
            b.podPidsLimit(f.podMaxPids);
        }
        if (f.containerRuntimeEndpoint != null) {
            b.containerRuntimeEndpoint(f.containerRuntimeEndpoint);
        }
        if (f.tlsCertFile != null) {
            b.tlsCertFile(absolute(f.tlsCertFile));
        }
        if (f.tlsPrivateKeyFile != null) {
            b.tlsPrivateKeyFile(absolute(f.tlsPrivateKeyFile));
        }
        if (f.clientCaFile != null) {
            b.clientCAFile(absolute(f.clientCaFile));
        }
        if (f.anonymousAuth != null) {
            b.anonymousAuth(f.anonymousAuth);
        }
        if (f.authenticationTokenWebhook != null) {
            b.webhookAuthentication(f.authenticationTokenWebhook);
        }
        if (f.authorizationMode != null) {
            b.authorizationMode(f.authorizationMode);
        }
        return b.build();
    }

    private static String absolute(String path) {
        return path.isEmpty() ? path : Path.of(path).toAbsolutePath().normalize().toString();
    }

    /** Upstream's ValidateKubeletConfiguration checks for the fields Skiff has, plus path and IP syntax. */
    static List<String> validate(KubeletConfiguration c) {
        List<String> p = new ArrayList<>();
        if (!c.staticPodPath().isEmpty() && !Path.of(c.staticPodPath()).isAbsolute()) {
            p.add("staticPodPath (--pod-manifest-path) \"" + c.staticPodPath() + "\" must be an absolute path");
        }
        positive(p, "syncFrequency (--sync-frequency)", c.syncFrequency());
        positive(p, "fileCheckFrequency (--file-check-frequency)", c.fileCheckFrequency());
        ip(p, "address (--address)", c.address());
        ip(p, "healthzBindAddress (--healthz-bind-address)", c.healthzBindAddress());
        if (c.port() < 1 || c.port() > 65535) {
            p.add("port (--port) " + c.port() + " must be between 1 and 65535, inclusive");
        }
        if (c.readOnlyPort() < 0 || c.readOnlyPort() > 65535) {
            p.add("readOnlyPort (--read-only-port) " + c.readOnlyPort() + " must be between 0 and 65535, inclusive");
        }
        if (c.healthzPort() < 0 || c.healthzPort() > 65535) {
            p.add("healthzPort (--healthz-port) " + c.healthzPort() + " must be between 0 and 65535, inclusive");
        }
        if (c.maxPods() < 0) {
            p.add("maxPods (--max-pods) " + c.maxPods() + " must not be a negative number");
        }
        for (String dns : c.clusterDNS()) {
            ip(p, "clusterDNS (--cluster-dns) entry", dns);
        }
        String logs = c.podLogsDir();
        if (logs.isEmpty() || !Path.of(logs).isAbsolute()) {
            p.add("podLogsDir \"" + logs + "\" must be an absolute path");
        } else if (!Path.of(logs).normalize().toString().equals(logs)) {
            p.add("podLogsDir \"" + logs + "\" must be normalized (no trailing '/', '.', '..' or '//')");
        } else if (!logs.chars().allMatch(ch -> ch < 128)) {
            p.add("podLogsDir \"" + logs + "\" must contain ASCII characters only");
        }
        if (c.containerLogMaxSize().signum() <= 0) {
            p.add("containerLogMaxSize (--container-log-max-size) " + c.containerLogMaxSize()
                    + " must be greater than 0");
        }
        if (c.containerLogMaxFiles() <= 1) {
            p.add("containerLogMaxFiles (--container-log-max-files) " + c.containerLogMaxFiles()
                    + " must be greater than 1");
        }
        Duration shutdown = c.shutdownGracePeriod();
        if (shutdown.isNegative() || (!shutdown.isZero() && shutdown.compareTo(Duration.ofSeconds(1)) < 0)) {
            p.add("shutdownGracePeriod " + GoDuration.format(shutdown) + " must be either zero or otherwise >= 1s");
        }
        Duration critical = c.shutdownGracePeriodCriticalPods();
        if (critical.isNegative() || (!critical.isZero() && critical.compareTo(Duration.ofSeconds(1)) < 0)) {
            p.add("shutdownGracePeriodCriticalPods " + GoDuration.format(critical)
                    + " must be either zero or otherwise >= 1s");
        }
        if (critical.compareTo(shutdown) > 0) {
            p.add("shutdownGracePeriodCriticalPods " + GoDuration.format(critical) + " must be <= shutdownGracePeriod "
                    + GoDuration.format(shutdown));
        }
        int high = c.imageGCHighThresholdPercent();
        int low = c.imageGCLowThresholdPercent();
        if (high < 0 || high > 100) {
            p.add("imageGCHighThresholdPercent (--image-gc-high-threshold) " + high
                    + " must be between 0 and 100, inclusive");
        }
        if (low < 0 || low > 100) {
            p.add("imageGCLowThresholdPercent (--image-gc-low-threshold) " + low
                    + " must be between 0 and 100, inclusive");
        }
        if (low >= high) {
            p.add("imageGCLowThresholdPercent (--image-gc-low-threshold) " + low
                    + " must be less than imageGCHighThresholdPercent (--image-gc-high-threshold) " + high);
        }
        if (c.imageMinimumGCAge().isNegative()) {
            p.add("imageMinimumGCAge (--minimum-image-ttl-duration) " + GoDuration.format(c.imageMinimumGCAge())
                    + " must not be negative");
        }
        if (c.tlsCertFile().isEmpty() != c.tlsPrivateKeyFile().isEmpty()) {
            p.add("tlsCertFile (--tls-cert-file) and tlsPrivateKeyFile (--tls-private-key-file) must be given together");
        }
        if (c.webhookAuthentication()) {
            p.add("authentication.webhook.enabled (--authentication-token-webhook) is not supported: skiff has no API "
                    + "server to send TokenReviews to; use --token-auth-file or client certificates (--client-ca-file)");
        }
        if (!c.authorizationMode().equals(KubeletConfiguration.AUTHORIZATION_POLICY)
                && !c.authorizationMode().equals(KubeletConfiguration.AUTHORIZATION_ALWAYS_ALLOW)) {
            p.add("authorization.mode (--authorization-mode) \"" + c.authorizationMode() + "\" is not supported"
                    + (c.authorizationMode().equals("Webhook") ? " (skiff has no API server for SubjectAccessReviews)" : "")
                    + ": use Policy (the default, with --authorization-policy-file) or AlwaysAllow");
        }
        if (!c.cgroupDriver().equals("cgroupfs") && !c.cgroupDriver().equals("systemd")) {
            p.add("cgroupDriver (--cgroup-driver) \"" + c.cgroupDriver() + "\" must be cgroupfs or systemd");
        }
        return p;
    }

    private static void positive(List<String> p, String what, Duration d) {
        if (d.isNegative() || d.isZero()) {
            p.add(what + " " + GoDuration.format(d) + " must be greater than 0");
        }
    }

    private static void ip(List<String> p, String what, String value) {
        if (!IpLiteral.isIP(value)) {
            p.add(what + " \"" + value + "\" is not a valid IP address");
        }
    }

    /** Upstream's nodeutil.GetHostname: the override or the host name, trimmed and lowercased, never empty. */
    private static String nodeName(String override, HostFacts host, List<String> problems) {
        boolean fromFlag = override != null && !override.isBlank();
        String raw = fromFlag ? override : host.hostname();
        String name = raw == null ? "" : raw.strip().toLowerCase(Locale.ROOT);
        if (name.isEmpty()) {
            problems.add("empty node name: the host name is empty; set --hostname-override");
        } else if (name.length() > 253 || !DNS1123_SUBDOMAIN.matcher(name).matches()) {
            problems.add("node name \"" + name + "\" (from " + (fromFlag ? "--hostname-override" : "the host name")
                    + ") must be a lowercase RFC 1123 subdomain: lowercase alphanumerics, '-' and '.', starting and "
                    + "ending with an alphanumeric");
        }
        return name;
    }

    private static List<String> nodeIPs(String flag, List<String> problems) {
        if (flag == null || flag.isBlank()) {
            return List.of();
        }
        List<String> ips = new ArrayList<>();
        for (String s : flag.split(",", -1)) {
            String ip = s.strip();
            if (!IpLiteral.isIP(ip)) {
                problems.add("--node-ip: \"" + ip + "\" is not a valid IP address");
                return List.of();
            }
            ips.add(ip);
        }
        if (ips.size() > 2) {
            problems.add("--node-ip: at most two addresses (one IPv4 and one IPv6) may be given, got " + ips.size());
        } else if (ips.size() == 2 && IpLiteral.isIPv4(ips.get(0)) == IpLiteral.isIPv4(ips.get(1))) {
            problems.add("--node-ip: two addresses must be one IPv4 and one IPv6 (dual stack), got " + ips);
        }
        return ips;
    }
}
