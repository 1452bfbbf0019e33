package dev.skiff.kubelet.kuberuntime;

import dev.skiff.volume.VolumeObjects;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A container's environment (upstream kubelet_pods.go makeEnvironmentVariables): envFrom first,
 * then env in order; a literal value is $(VAR)-expanded against what is defined so far, a
 * valueFrom is resolved and not expanded. A later definition replaces an earlier one in place.
 */
final class PodEnvironment {
    private final NodeFacts node;
    private final VolumeObjects objects;

    PodEnvironment(NodeFacts node, VolumeObjects objects) {
        this.node = node;
        this.objects = objects;
    }

    Map<String, String> build(Pod pod, Container container, List<String> podIps) throws CreateConfigException {
        String ns = pod.getMetadata().getNamespace();
        Map<String, String> env = new LinkedHashMap<>();
        if (container.getEnvFrom() != null) {
            for (EnvFromSource from : container.getEnvFrom()) {
                String prefix = from.getPrefix() == null ? "" : from.getPrefix();
                if (from.getConfigMapRef() != null) {
                    var ref = from.getConfigMapRef();
                    Optional<ConfigMap> cm = objects.configMap(ns, ref.getName());
                    if (cm.isEmpty()) {
                        if (Boolean.TRUE.equals(ref.getOptional())) {
                            continue;
                        }
                        throw new CreateConfigException("configmap \"" + ref.getName() + "\" not found");
                    }
                    new TreeMap<>(nn(cm.get().getData())).forEach((k, v) -> env.put(prefix + k, v));
                } else if (from.getSecretRef() != null) {
                    var ref = from.getSecretRef();
                    Optional<Secret> s = objects.secret(ns, ref.getName());
                    if (s.isEmpty()) {
                        if (Boolean.TRUE.equals(ref.getOptional())) {
                            continue;
                        }
                        throw new CreateConfigException("secret \"" + ref.getName() + "\" not found");
                    }
                    new TreeMap<>(secretData(s.get())).forEach((k, v) -> env.put(prefix + k, v));
                }
            }
        }
        if (container.getEnv() != null) {
            for (EnvVar var : container.getEnv()) {
                String value = var.getValue() == null ? "" : var.getValue();
                if (!value.isEmpty()) {
                    value = Expansion.expand(value, env);
                } else if (var.getValueFrom() != null) {
                    Optional<String> resolved = resolve(var.getValueFrom(), pod, container, podIps);
                    if (resolved.isEmpty()) {
                        continue; // an optional reference that is missing: the variable is not set
                    }
                    value = resolved.get();
                }
                env.put(var.getName(), value);
            }
        }
        return env;
    }

    private Optional<String> resolve(EnvVarSource from, Pod pod, Container container, List<String> podIps)
            throws CreateConfigException {
        String ns = pod.getMetadata().getNamespace();
        if (from.getFieldRef() != null) {
            return Optional.of(DownwardApi.field(from.getFieldRef(), pod, node, podIps));
        }
        if (from.getResourceFieldRef() != null) {
            return Optional.of(DownwardApi.resource(from.getResourceFieldRef(), pod, container, node));
        }
        if (from.getConfigMapKeyRef() != null) {
            var ref = from.getConfigMapKeyRef();
            boolean optional = Boolean.TRUE.equals(ref.getOptional());
            Optional<ConfigMap> cm = objects.configMap(ns, ref.getName());
            if (cm.isEmpty()) {
                if (optional) {
                    return Optional.empty();
                }
                throw new CreateConfigException("configmap \"" + ref.getName() + "\" not found");
            }
            String v = nn(cm.get().getData()).get(ref.getKey());
            if (v == null) {
                if (optional) {
                    return Optional.empty();
                }
                throw new CreateConfigException("couldn't find key " + ref.getKey() + " in ConfigMap " + ns + "/" + ref.getName());
            }
            return Optional.of(v);
        }
        if (from.getSecretKeyRef() != null) {
            var ref = from.getSecretKeyRef();
            boolean optional = Boolean.TRUE.equals(ref.getOptional());
            Optional<Secret> s = objects.secret(ns, ref.getName());
            if (s.isEmpty()) {
                if (optional) {
                    return Optional.empty();
                }
                throw new CreateConfigException("secret \"" + ref.getName() + "\" not found");
            }
            String v = secretData(s.get()).get(ref.getKey());
            if (v == null) {
                if (optional) {
                    return Optional.empty();
                }
                throw new CreateConfigException("couldn't find key " + ref.getKey() + " in Secret " + ns + "/" + ref.getName());
            }
            return Optional.of(v);
        }
        return Optional.of("");
    }

    /** data (base64) decoded, with stringData on top as the API server would merge it. */
    static Map<String, String> secretData(Secret s) throws CreateConfigException {
        Map<String, String> out = new LinkedHashMap<>();
        for (var e : nn(s.getData()).entrySet()) {
            try {
                out.put(e.getKey(), new String(Base64.getMimeDecoder().decode(e.getValue()), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException ex) {
                throw new CreateConfigException("secret " + s.getMetadata().getName() + " key " + e.getKey()
                        + " is not valid base64");
            }
        }
        out.putAll(nn(s.getStringData()));
        return out;
    }

    private static Map<String, String> nn(Map<String, String> m) {
        return m == null ? Map.of() : m;
    }
}
