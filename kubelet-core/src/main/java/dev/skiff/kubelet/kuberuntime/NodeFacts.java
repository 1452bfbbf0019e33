package dev.skiff.kubelet.kuberuntime;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What the config factories need to know about the node and the kubelet's layout.
 *
 * @param nodeName          this node's name
 * @param clusterDomain     e.g. cluster.local ("" when unset: no cluster search domains)
 * @param clusterDns        cluster DNS server IPs (empty: ClusterFirst falls back to Default)
 * @param resolvConf        the host resolv.conf the pods' Default DNS comes from; null = none
 *                          (upstream {@code --resolv-conf=""}: localhost nameserver, search ".")
 * @param nodeIps           the node's IPs, first one is status.hostIP
 * @param podLogsDir        e.g. /var/log/pods
 * @param rootDir           e.g. /var/lib/kubelet (pod dirs are rootDir/pods/uid)
 * @param nodeHostsFile     the node's /etc/hosts, copied for host-network pods
 * @param allocatableMilliCpu what limits.cpu defaults to in the downward API
 * @param memoryCapacityBytes the machine's memory: limits.memory default, Burstable oom score
 */
public record NodeFacts(String nodeName, String clusterDomain, List<String> clusterDns, Path resolvConf,
                        List<String> nodeIps, Path podLogsDir, Path rootDir, Path nodeHostsFile,
                        long allocatableMilliCpu, long memoryCapacityBytes) {
    public NodeFacts {
        Objects.requireNonNull(nodeName, "nodeName");
        clusterDomain = clusterDomain == null ? "" : clusterDomain;
        clusterDns = List.copyOf(clusterDns);
        nodeIps = List.copyOf(nodeIps);
        Objects.requireNonNull(podLogsDir, "podLogsDir");
        Objects.requireNonNull(rootDir, "rootDir");
        Objects.requireNonNull(nodeHostsFile, "nodeHostsFile");
        if (memoryCapacityBytes <= 0) {
            throw new IllegalArgumentException("memoryCapacityBytes must be positive");
        }
    }

    /** The pod's directory under the root dir (upstream getPodDir). */
    public Path podDir(String podUid) {
        return rootDir.resolve("pods").resolve(podUid);
    }

    /** status.hostIP: the first node IP, "" when unknown. */
    public String hostIp() {
        return nodeIps.isEmpty() ? "" : nodeIps.get(0);
    }
}
