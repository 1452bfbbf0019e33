package dev.skiff.kubelet.kuberuntime;

import dev.skiff.volume.plugin.VolumeDirs;
import dev.skiff.volume.util.DurableFiles;
import io.fabric8.kubernetes.api.model.HostAlias;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The kubelet-managed /etc/hosts of a pod, byte for byte as upstream kubelet_pods.go writes it
 * (managedHostsFileContent, nodeHostsFileContent, hostsEntriesFromHostAliases).
 */
public final class EtcHosts {
    public static final String FILE_NAME = "etc-hosts";
    static final String MANAGED_HEADER = "# Kubernetes-managed hosts file.\n";
    static final String MANAGED_HEADER_HOST_NETWORK = "# Kubernetes-managed hosts file (host network).\n";

    private EtcHosts() {
    }

    /** The pod-network file: header, localhost lines, one line per pod IP, then the aliases. */
    public static String managedContent(List<String> podIps, String hostname, String domain, List<HostAlias> aliases) {
        StringBuilder b = new StringBuilder(MANAGED_HEADER);
        b.append("127.0.0.1\tlocalhost\n");
        b.append("::1\tlocalhost ip6-localhost ip6-loopback\n");
        b.append("fe00::0\tip6-localnet\n");
        b.append("fe00::0\tip6-mcastprefix\n");
        b.append("fe00::1\tip6-allnodes\n");
        b.append("fe00::2\tip6-allrouters\n");
        for (String ip : podIps) {
            if (domain != null && !domain.isEmpty()) {
                b.append(ip).append('\t').append(hostname).append('.').append(domain).append('\t').append(hostname).append('\n');
            } else {
                b.append(ip).append('\t').append(hostname).append('\n');
            }
        }
        b.append(aliasEntries(aliases));
        return b.toString();
    }

    /** The host-network file: header, the node's hosts file as is, then the aliases. */
    public static String hostNetworkContent(String nodeHostsContent, List<HostAlias> aliases) {
        return MANAGED_HEADER_HOST_NETWORK + nodeHostsContent + aliasEntries(aliases);
    }

    static String aliasEntries(List<HostAlias> aliases) {
        if (aliases == null || aliases.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder("\n# Entries added by HostAliases.\n");
        for (HostAlias a : aliases) {
            b.append(a.getIp()).append('\t')
                    .append(String.join("\t", a.getHostnames() == null ? List.of() : a.getHostnames())).append('\n');
        }
        return b.toString();
    }

    /** Writes {@code <podDir>/etc-hosts} atomically and durably, mode 0644; returns its path. */
    public static Path write(Path podDir, String content) throws IOException {
        VolumeDirs.mkdirs(podDir, VolumeDirs.PRIVATE_DIR_MODE);
        Path target = podDir.resolve(FILE_NAME);
        DurableFiles.replace(target, content.getBytes(StandardCharsets.UTF_8), 0644);
        return target;
    }
}
