package dev.skiff.kubelet.config;

import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The kubelet-compatible flags, as a picocli mixin ({@code @Mixin KubeletFlags flags}). Names and value syntax follow
 * the upstream kubelet (cmd/kubelet/app/options): Go durations ({@code --sync-frequency=30s}), quantities
 * ({@code --container-log-max-size=20Mi}), comma lists ({@code --cluster-dns=10.0.0.10,fd00::10},
 * {@code --node-labels=a=b,c=d}, both repeatable).
 *
 * <p>Every field that overlaps a KubeletConfiguration field is null unless given on the command line, so
 * {@link KubeletSettings#resolve} can let a flag override the file only when it was really set. Upstream's pflag lets
 * a flag be repeated (last wins): the command line should call
 * {@code CommandLine.setOverwrittenOptionsAllowed(true)} to match.
 */
public final class KubeletFlags {
    /** One {@code --node-labels} value, parsed. */
    public record LabelSet(Map<String, String> labels) {
        public LabelSet {
            labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
        }
    }

    @Option(names = "--config", paramLabel = "FILE",
            description = "KubeletConfiguration (kubelet.config.k8s.io/v1beta1) file; flags given on the command "
                    + "line override its fields.")
    Path config;

    @Option(names = "--pod-manifest-path", paramLabel = "PATH",
            description = "Directory (or single file) of static pod manifests (config: staticPodPath).")
    String podManifestPath;

    @Option(names = "--root-dir", paramLabel = "DIR",
            description = "Directory for kubelet state: pods, volumes, plugins (default: /var/lib/kubelet).")
    Path rootDir;

    @Option(names = "--hostname-override", paramLabel = "NAME",
            description = "Node name to use instead of the host name (lowercased).")
    String hostnameOverride;

    @Option(names = "--node-labels", paramLabel = "KEY=VALUE[,...]", converter = LabelSetConverter.class,
            description = "Labels for this node, e.g. disk=ssd,zone=a; repeatable.")
    List<LabelSet> nodeLabels = new ArrayList<>();

    @Option(names = "--kubeconfig", paramLabel = "FILE",
            description = "kubeconfig of the API server to join: register this node, heartbeat its Lease, report its "
                    + "status (see \"Joining a cluster\" in the README). Without it Skiff is a standalone kubelet.")
    Path kubeconfig;

    @Option(names = "--register-with-taints", paramLabel = "KEY=VALUE:EFFECT[,...]", split = ",",
            description = "Taints the node registers with, e.g. dedicated=gpu:NoSchedule; repeatable (config: "
                    + "registerWithTaints). Only with --kubeconfig.")
    List<String> registerWithTaints = new ArrayList<>();

    @Option(names = "--node-ip", paramLabel = "IP[,IP]",
            description = "IP address(es) of the node: one, or one IPv4 and one IPv6 (dual stack).")
    String nodeIp;

    @Option(names = "--container-runtime-endpoint", paramLabel = "ENDPOINT",
            description = "CRI endpoint unix:///path; empty (the default) or unix:///var/run/docker.sock runs "
                    + "Skiff's in-process Docker shim (config: containerRuntimeEndpoint).")
    String containerRuntimeEndpoint;

    @Option(names = "--docker-endpoint", paramLabel = "ENDPOINT",
            description = "Docker Engine the in-process shim uses when --container-runtime-endpoint is empty: "
                    + "unix:///path or tcp://host:port (cri-dockerd's flag; default unix:///var/run/docker.sock).")
    String dockerEndpoint;

    @Option(names = "--streaming-address", paramLabel = "HOST:PORT",
            description = "Where the in-process shim's CRI streaming server (exec, attach, port-forward) listens; "
                    + "default 127.0.0.1:0, a random loopback port as containerd's.")
    String streamingAddress;

    @Option(names = "--pod-infra-container-image", paramLabel = "IMAGE",
            description = "Sandbox (pause) image; default: Skiff's own, imported into Docker on first use.")
    String podInfraContainerImage;

    @Option(names = "--sync-frequency", paramLabel = "DURATION", converter = GoDurationConverter.class,
            description = "Max period between syncs of running containers and config (config: syncFrequency, "
                    + "default 1m).")
    Duration syncFrequency;

    @Option(names = "--file-check-frequency", paramLabel = "DURATION", converter = GoDurationConverter.class,
            description = "Period of the full rescan of the manifest path (config: fileCheckFrequency, default 20s).")
    Duration fileCheckFrequency;

    @Option(names = "--address", paramLabel = "IP",
            description = "IP for the kubelet server (config: address, default 0.0.0.0).")
    String address;

    @Option(names = "--port", paramLabel = "PORT",
            description = "Port of the kubelet server (config: port, default 10250).")
    Integer port;

    @Option(names = "--tls-cert-file", paramLabel = "FILE",
            description = "PEM certificate (chain) of the secure port; with --tls-private-key-file. Default: a "
                    + "self-signed pair in --cert-dir (config: tlsCertFile).")
    String tlsCertFile;

    @Option(names = "--tls-private-key-file", paramLabel = "FILE",
            description = "PEM private key (RSA or EC; PKCS#1, SEC1 or PKCS#8) of --tls-cert-file (config: "
                    + "tlsPrivateKeyFile).")
    String tlsPrivateKeyFile;

    @Option(names = "--cert-dir", paramLabel = "DIR",
            description = "Where the self-signed kubelet.crt and kubelet.key are generated and kept when no "
                    + "--tls-cert-file is given (default: <root-dir>/pki).")
    Path certDir;

    @Option(names = "--client-ca-file", paramLabel = "FILE",
            description = "PEM CA bundle: client certificates it signed authenticate, CN as the user and O as groups "
                    + "(config: authentication.x509.clientCAFile).")
    String clientCaFile;

    @Option(names = "--token-auth-file", paramLabel = "FILE",
            description = "Static bearer tokens, one per line: token,user,uid,\"group1,group2\" (kube-apiserver's "
                    + "format; Skiff's own on the kubelet).")
    Path tokenAuthFile;

    @Option(names = "--anonymous-auth", paramLabel = "BOOL", arity = "0..1", fallbackValue = "true",
            description = "Serve requests without credentials as system:anonymous instead of 401 (config: "
                    + "authentication.anonymous.enabled, default false).")
    Boolean anonymousAuth;

    @Option(names = "--authentication-token-webhook", paramLabel = "BOOL", arity = "0..1", fallbackValue = "true",
            description = "Not supported (no API server for TokenReviews): true is refused (config: "
                    + "authentication.webhook.enabled).")
    Boolean authenticationTokenWebhook;

    @Option(names = "--authorization-mode", paramLabel = "MODE",
            description = "Policy (default: system:masters and system:kubelet-api-admin may do everything, "
                    + "--authorization-policy-file grants more) or AlwaysAllow; Webhook is not supported (config: "
                    + "authorization.mode).")
    String authorizationMode;

    @Option(names = "--authorization-policy-file", paramLabel = "FILE",
            description = "Skiff's own: YAML granting nodes subresources by group or user, e.g. "
                    + "groups: {monitoring: [metrics, stats]}.")
    Path authorizationPolicyFile;

    @Option(names = "--read-only-port", paramLabel = "PORT",
            description = "Port of the read-only server (/healthz, /pods), 0 = off (config: readOnlyPort, "
                    + "default 10255).")
    Integer readOnlyPort;

    @Option(names = "--healthz-port", paramLabel = "PORT",
            description = "Port of the localhost healthz endpoint, 0 = off (config: healthzPort, default 10248).")
    Integer healthzPort;

    @Option(names = "--healthz-bind-address", paramLabel = "IP",
            description = "IP for the healthz server (config: healthzBindAddress, default 127.0.0.1).")
    String healthzBindAddress;

    @Option(names = "--max-pods", paramLabel = "N",
            description = "Pods this node admits (config: maxPods, default 110).")
    Integer maxPods;

    @Option(names = "--cluster-domain", paramLabel = "DOMAIN",
            description = "Cluster DNS domain searched by containers (config: clusterDomain, default cluster.local).")
    String clusterDomain;

    @Option(names = "--cluster-dns", paramLabel = "IP[,IP...]", split = ",",
            description = "Cluster DNS server IPs (config: clusterDNS); repeatable. Default: Skiff's embedded DNS on "
                    + "the Docker bridge gateway.")
    List<String> clusterDns;

    @Option(names = "--embedded-dns", paramLabel = "BOOL", arity = "0..1", fallbackValue = "true",
            description = "Skiff's own: serve the cluster DNS (headless Services, pod names, forwarding) on the first "
                    + "--cluster-dns address when it is this host's, or on the Docker bridge gateway when "
                    + "--cluster-dns is unset (default true).")
    Boolean embeddedDns;

    @Option(names = "--resolv-conf", paramLabel = "FILE",
            description = "Resolver config the containers' resolv.conf starts from; \"\" = none (config: resolvConf, "
                    + "default /etc/resolv.conf).")
    String resolvConf;

    @Option(names = "--cgroup-driver", paramLabel = "DRIVER",
            description = "cgroupfs or systemd (config: cgroupDriver, default cgroupfs).")
    String cgroupDriver;

    @Option(names = "--container-log-max-size", paramLabel = "QUANTITY", converter = QuantityConverter.class,
            description = "Size at which a container log is rotated (config: containerLogMaxSize, default 10Mi).")
    Quantity containerLogMaxSize;

    @Option(names = "--container-log-max-files", paramLabel = "N",
            description = "Log files kept per container (config: containerLogMaxFiles, default 5).")
    Integer containerLogMaxFiles;

    @Option(names = "--image-gc-high-threshold", paramLabel = "PERCENT",
            description = "Disk usage percent that always triggers image GC (config: imageGCHighThresholdPercent, "
                    + "default 85).")
    Integer imageGcHighThreshold;

    @Option(names = "--image-gc-low-threshold", paramLabel = "PERCENT",
            description = "Disk usage percent image GC frees down to (config: imageGCLowThresholdPercent, "
                    + "default 80).")
    Integer imageGcLowThreshold;

    @Option(names = "--minimum-image-ttl-duration", paramLabel = "DURATION", converter = GoDurationConverter.class,
            description = "Minimum age of an unused image before GC (config: imageMinimumGCAge, default 2m).")
    Duration minimumImageTtlDuration;

    @Option(names = "--serialize-image-pulls", paramLabel = "BOOL", arity = "0..1", fallbackValue = "true",
            description = "Pull one image at a time (config: serializeImagePulls, default true).")
    Boolean serializeImagePulls;

    @Option(names = "--pod-max-pids", paramLabel = "N",
            description = "Max PIDs per pod, -1 = unlimited (config: podPidsLimit, default -1).")
    Long podMaxPids;

    @Option(names = "--manifest-max-size", paramLabel = "QUANTITY", converter = QuantityConverter.class,
            description = "Skiff's own: a static pod manifest larger than this is refused without being read "
                    + "(default 1536Ki, etcd's object size limit).")
    Quantity manifestMaxSize;

    @Option(names = {"-v", "--v"}, paramLabel = "N", description = "Log verbosity (klog style, default 0).")
    Integer verbosity;

    /** The {@code --config} file, when given. */
    public Optional<Path> configFile() {
        return Optional.ofNullable(config);
    }

    /** {@code -v}, 0 when not given. */
    public int verbosity() {
        return verbosity == null ? 0 : verbosity;
    }

    /** All {@code --node-labels} values merged in order (a later key wins). */
    public Map<String, String> nodeLabels() {
        Map<String, String> all = new LinkedHashMap<>();
        for (LabelSet s : nodeLabels) {
            all.putAll(s.labels());
        }
        return all;
    }

    /** picocli converter for Go durations; a bad one is a usage error naming the flag. */
    public static final class GoDurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return GoDuration.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** picocli converter for resource quantities. */
    public static final class QuantityConverter implements CommandLine.ITypeConverter<Quantity> {
        @Override
        public Quantity convert(String value) {
            try {
                return Quantity.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** picocli converter for one {@code --node-labels} value. */
    public static final class LabelSetConverter implements CommandLine.ITypeConverter<LabelSet> {
        @Override
        public LabelSet convert(String value) {
            return new LabelSet(NodeLabels.parse(value));
        }
    }
}
