package dev.skiff.kubelet.kuberuntime;

import dev.skiff.cri.v1.DNSConfig;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodDNSConfig;
import io.fabric8.kubernetes.api.model.PodDNSConfigOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/** A pod's resolv.conf as a CRI DNSConfig, per dnsPolicy (upstream pkg/kubelet/network/dns GetPodDNS). */
public final class PodDns {
    private static final Logger log = LoggerFactory.getLogger(PodDns.class);
    static final int MAX_NAMESERVERS = 3;
    static final int MAX_SEARCH_PATHS = 32;
    static final int MAX_SEARCH_LIST_CHARS = 2048;
    static final int MAX_SEARCH_DOMAIN_LEN = 253;
    static final List<String> DEFAULT_OPTIONS = List.of("ndots:5");

    private final NodeFacts node;
    /** Pods already warned about the missing clusterDNS: the config is rebuilt on every container start. */
    private final java.util.Set<String> warnedNoClusterDns = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public PodDns(NodeFacts node) {
        this.node = node;
    }

    private enum Type { CLUSTER, HOST, NONE }

    private boolean warnOnce(String uid) {
        if (warnedNoClusterDns.size() > 10_000) {
            warnedNoClusterDns.clear(); // bounded: at worst a pod is warned about again
        }
        return warnedNoClusterDns.add(String.valueOf(uid));
    }

    public DNSConfig forPod(Pod pod) throws CreateConfigException {
        ResolvConf host = hostConfig();
        List<String> servers = new ArrayList<>(host.nameservers());
        List<String> searches = new ArrayList<>(host.searches());
        List<String> options = new ArrayList<>(host.options());
        Type type = typeOf(pod);
        if (type == Type.CLUSTER && node.clusterDns().isEmpty()) {
            if (warnOnce(pod.getMetadata().getUid())) {
                log.warn("pod {}/{} ({}) has dnsPolicy ClusterFirst but kubelet has no clusterDNS: falling back to Default",
                        pod.getMetadata().getNamespace(), pod.getMetadata().getName(), pod.getMetadata().getUid());
            }
            type = Type.HOST;
        }
        switch (type) {
            case NONE -> {
                servers.clear();
                searches.clear();
                options.clear();
            }
            case CLUSTER -> {
                servers = new ArrayList<>(node.clusterDns());
                searches = clusterSearches(searches, pod.getMetadata().getNamespace());
                options = new ArrayList<>(DEFAULT_OPTIONS);
            }
            case HOST -> {
                if (node.resolvConf() == null) {
                    // no resolv.conf: point at the local resolver and disable search (upstream)
                    for (String ip : node.nodeIps()) {
                        servers.add(ip.contains(":") ? "::1" : "127.0.0.1");
                    }
                    if (servers.isEmpty()) {
                        servers.add("127.0.0.1");
                    }
                    searches = new ArrayList<>(List.of("."));
                }
            }
        }
        PodDNSConfig extra = pod.getSpec().getDnsConfig();
        if (extra != null) {
            servers = dedupe(servers, extra.getNameservers());
            searches = dedupe(searches, extra.getSearches());
            options = mergeOptions(options, extra.getOptions());
        }
        if (servers.size() > MAX_NAMESERVERS) {
            log.warn("pod {}/{}: nameserver limits exceeded, using {}", pod.getMetadata().getNamespace(),
                    pod.getMetadata().getName(), servers.subList(0, MAX_NAMESERVERS));
            servers = new ArrayList<>(servers.subList(0, MAX_NAMESERVERS));
        }
        return DNSConfig.newBuilder().addAllServers(servers).addAllSearches(fitSearches(searches))
                .addAllOptions(options).build();
    }

    private ResolvConf hostConfig() throws CreateConfigException {
        if (node.resolvConf() == null) {
            return ResolvConf.empty();
        }
        try {
            return ResolvConf.read(node.resolvConf());
        } catch (IOException e) {
            throw new CreateConfigException("cannot read resolv.conf " + node.resolvConf() + ": " + e.getMessage(), e);
        }
    }

    private static Type typeOf(Pod pod) throws CreateConfigException {
        String policy = pod.getSpec().getDnsPolicy();
        boolean hostNetwork = Boolean.TRUE.equals(pod.getSpec().getHostNetwork());
        if (policy == null || policy.isEmpty()) {
            policy = "ClusterFirst";
        }
        return switch (policy) {
            case "None" -> Type.NONE;
            case "ClusterFirstWithHostNet" -> Type.CLUSTER;
            case "ClusterFirst" -> hostNetwork ? Type.HOST : Type.CLUSTER;
            case "Default" -> Type.HOST;
            default -> throw new CreateConfigException("invalid DNSPolicy=" + policy);
        };
    }

    private List<String> clusterSearches(List<String> hostSearches, String namespace) {
        String domain = node.clusterDomain();
        if (domain.isEmpty()) {
            return hostSearches;
        }
        List<String> all = new ArrayList<>(List.of(namespace + ".svc." + domain, "svc." + domain, domain));
        all.addAll(hostSearches);
        return dedupe(all, null);
    }

    private static List<String> dedupe(List<String> first, List<String> more) {
        LinkedHashSet<String> set = new LinkedHashSet<>(first);
        if (more != null) {
            set.addAll(more);
        }
        return new ArrayList<>(set);
    }

    /** Pod options replace same-named ones; order: existing first, then new (upstream uses a Go map: unordered). */
    static List<String> mergeOptions(List<String> existing, List<PodDNSConfigOption> extra) {
        Map<String, String> byName = new LinkedHashMap<>();
        for (String op : existing) {
            int colon = op.indexOf(':');
            if (colon >= 0) {
                byName.put(op.substring(0, colon), op.substring(colon + 1));
            } else {
                byName.put(op, "");
            }
        }
        if (extra != null) {
            for (PodDNSConfigOption op : extra) {
                byName.put(op.getName(), op.getValue() == null ? "" : op.getValue());
            }
        }
        List<String> out = new ArrayList<>();
        byName.forEach((k, v) -> out.add(v.isEmpty() ? k : k + ":" + v));
        return out;
    }

    /** Upstream formDNSSearchFitsLimits: at most 32 paths, none over 253 chars, the line at most 2048 chars. */
    static List<String> fitSearches(List<String> searches) {
        List<String> out = new ArrayList<>(searches.subList(0, Math.min(searches.size(), MAX_SEARCH_PATHS)));
        out.removeIf(s -> s.length() > MAX_SEARCH_DOMAIN_LEN);
        int lineLen = String.join(" ", out).length();
        if (lineLen > MAX_SEARCH_LIST_CHARS) {
            int cut = 0;
            int cutLen = 0;
            for (int i = out.size() - 1; i >= 0; i--) {
                cutLen += out.get(i).length() + 1;
                cut++;
                if (lineLen - cutLen <= MAX_SEARCH_LIST_CHARS) {
                    break;
                }
            }
            out = new ArrayList<>(out.subList(0, out.size() - cut));
        }
        return out;
    }
}
