package dev.skiff.kubelet.logs;

import dev.skiff.kubelet.server.Endpoint;

import java.util.Map;

/** {@code /containerLogs/{namespace}/{pod}/{container}?…}: whose log, and how. */
public record LogRequest(String namespace, String pod, String container, PodLogOptions options) {
    /** The path's parts and the decoded, validated query; see {@link PodLogOptions#parse}. */
    public static LogRequest of(String namespace, String pod, String container, Map<String, String> query)
            throws Endpoint.BadRequestException {
        if (namespace.isEmpty() || pod.isEmpty() || container.isEmpty()) {
            throw new Endpoint.BadRequestException("/containerLogs needs /containerLogs/<namespace>/<pod>/<container>");
        }
        return new LogRequest(namespace, pod, container, PodLogOptions.parse(query));
    }
}
